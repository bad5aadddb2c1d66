"""Versions as HTTP validators: ``ETag`` on responses, ``If-Match`` on writes, for models
with ``Meta.version_field`` (optimistic locking across requests).

```python
@app.get("/pages/{pk}")
async def read(pk: UUID, response: Response):
    page = await Page.objects.get(pk=pk)
    set_etag(response, page)              # ETag: "3"
    return page

@app.put("/pages/{pk}")
async def edit(pk: UUID, payload: PageUpdate, request: Request, response: Response):
    page = await Page.objects.get(pk=pk)
    check_if_match(request, page)          # 412 unless If-Match names the current version
    ...; await page.save()                 # 409 if another writer came between (StaleObjectError)
    set_etag(response, page)
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import HTTPException, Request, Response

from aksara.exceptions import ConfigurationError

if TYPE_CHECKING:
    from aksara.models.base import Model


def etag(obj: Model) -> str:
    """The instance's entity tag: its version, quoted (``"3"``)."""
    version = obj._meta.version
    if version is None:
        raise ConfigurationError(
            f"{obj._meta.model_name} has no Meta.version_field: it has no version to tag"
        )
    return f'"{obj.__dict__[version.attname]}"'


def set_etag(response: Response, obj: Model) -> None:
    """Send the instance's version as the response's ``ETag``."""
    response.headers["ETag"] = etag(obj)


def check_if_match(request: Request, obj: Model, *, required: bool = True) -> None:
    """Refuse a write whose ``If-Match`` names another version than the row's: 412
    Precondition Failed; without the header, 428 Precondition Required (or nothing, with
    ``required=False``). ``*`` matches any version."""
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise HTTPException(428, "This update needs an If-Match header with the ETag read")
        return
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if "*" not in tags and etag(obj) not in tags:
        raise HTTPException(
            412, "The data changed since it was read; reload it and apply the change again"
        )
