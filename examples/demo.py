"""The README's demo: aksara's example application, a document library (examples/library/).

    python examples/demo.py           # alembic upgrade head, then a scripted walkthrough
    python examples/demo.py serve     # alembic upgrade head, then serve on 127.0.0.1:8000

Without ``AKSARA_DATABASE_URL`` the data lives in an embedded PostgreSQL in ``.aksara/pgdata``.
"""

import sys
from pathlib import Path

# Run as a script, this file's folder is on sys.path; the example is imported as a package
# of the repository's root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from examples.library import app, walkthrough

if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        app.main()
    elif sys.argv[1:]:
        sys.exit(f"usage: python {sys.argv[0]} [serve]")
    else:
        walkthrough.main()
