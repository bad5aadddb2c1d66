"""aksara for FastAPI: the ``Aksara`` app, request transactions, schemas from models, error responses.

```python
from aksara import Aksara, DBTransaction, schema_for

app = Aksara()

@app.post("/products", response_model=schema_for(Product), status_code=201)
async def create_product(payload: schema_for(Product, "create"), db: DBTransaction):
    return await Product.objects.create(**payload.model_dump())
```

Needs the ``fastapi`` extra: ``pip install "aksara-orm[fastapi]"``.
"""

try:
    from fastapi import UploadFile
except ModuleNotFoundError as error:  # pragma: no cover - depends on the installation
    raise ModuleNotFoundError(
        'aksara.contrib.fastapi needs FastAPI: pip install "aksara-orm[fastapi]"', name=error.name
    ) from error

from aksara.contrib.fastapi.applications import Aksara, MediaFiles, mount_media
from aksara.contrib.fastapi.dependencies import DBTransaction, transaction_dependency
from aksara.contrib.fastapi.exception_handlers import add_exception_handlers
from aksara.contrib.fastapi.schemas import ModelSchema, Variant, schema_for
from aksara.contrib.fastapi.versions import check_if_match, etag, set_etag

__all__ = [
    "Aksara",
    "DBTransaction",
    "MediaFiles",
    "UploadFile",
    "Variant",
    "add_exception_handlers",
    "check_if_match",
    "etag",
    "mount_media",
    "ModelSchema",
    "schema_for",
    "set_etag",
    "transaction_dependency",
]
