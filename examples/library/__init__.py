"""aksara's example application: a document library with authors, tags and assets.

- ``models``: the models (files, a preview image, a vector embedding, relations, an enum).
- ``embeddings``: toy text embeddings (a hashed bag of words) for similarity search.
- ``services``: sign-up with a welcome mail, tags, similar assets.
- ``app``: the FastAPI application (``uvicorn examples.library.app:app``), with AI tools.
- ``migrations``: ``alembic upgrade head`` with the repository's alembic.ini.
- ``walkthrough``: a scripted tour of the API (``python examples/demo.py``).
"""
