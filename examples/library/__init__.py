"""aksara's example application: a document library with authors, tags and assets.

- ``models``: the models (files, a preview image, a vector embedding, relations, an enum).
- ``services``: sign-up with a welcome mail, tags, toy embeddings, similar assets.
- ``app``: the FastAPI application (``uvicorn examples.library.app:app``).
- ``migrations``: ``alembic upgrade head`` with the repository's alembic.ini.
- ``walkthrough``: a scripted tour of the API (``python examples/demo.py``).
"""
