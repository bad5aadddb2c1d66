"""The library's HTTP API: an ``Aksara`` (FastAPI) application.

    python -m examples.library.app                                  # migrate, then serve
    AKSARA_DEBUG=1 uvicorn examples.library.app:app --host 127.0.0.1   # serve (migrated already)

Then open http://127.0.0.1:8000/docs. Run both from the repository's root; without
``AKSARA_DATABASE_URL`` the data lives in the embedded PostgreSQL in ``.aksara/pgdata``.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations.

import uuid
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import Body, Query
from fastapi.responses import Response
from pydantic import BeforeValidator, Field

from aksara import Aksara, DBTransaction, ModelSchema, UploadFile
from aksara.ai import AgentToolkit, model_context

from . import services
from .models import AssetStatus, LibraryAsset, LibraryAuthor, LibraryTag

# -- request and response bodies, from the models ------------------------------------------


class AuthorCreate(ModelSchema, model=LibraryAuthor, variant="create"):
    pass


class AuthorUpdate(ModelSchema, model=LibraryAuthor, variant="update"):
    pass


class AuthorRead(ModelSchema, model=LibraryAuthor):
    pass


# The file fields are filled by the upload endpoints and the embedding by the service.
_COMPUTED = ["file", "preview", "embedding"]


def _tag_names(value: Any) -> list[str]:
    """An asset's ``tags`` (a manager, prefetched) as their names."""
    tags: Iterable[Any] = value
    return [tag if isinstance(tag, str) else tag.name for tag in tags]


class AssetCreate(ModelSchema, model=LibraryAsset, variant="create", exclude=_COMPUTED):
    tags: list[str] = Field(default_factory=list, description="Tag names; missing tags are created")


class AssetUpdate(ModelSchema, model=LibraryAsset, variant="update", exclude=_COMPUTED):
    tags: list[str] | None = Field(default=None, description="Replaces the asset's tags")


class AssetRead(ModelSchema, model=LibraryAsset, exclude=["embedding"]):
    tags: Annotated[list[str], BeforeValidator(_tag_names)] = []


class SimilarAsset(ModelSchema, model=LibraryAsset, include=["id", "slug", "title"]):
    distance: float = Field(description="Cosine distance to the asset asked about (0 = same)")


class TagRead(ModelSchema, model=LibraryTag):
    pass


# -- what AI agents get ------------------------------------------------------------------------

MODELS = (LibraryAuthor, LibraryTag, LibraryAsset)
#: Agents may read, search and edit; they never create or delete (those tools do not exist).
toolkit = AgentToolkit(MODELS, actions=("list", "get", "search", "update"))


# -- the application -------------------------------------------------------------------------


def create_app(*, debug: bool | None = None) -> Aksara:
    """The library's API. In debug mode (``AKSARA_DEBUG=1``) uploaded files are served at /media/."""
    # Aksara answers PermissionDenied (an agent's refused call) with 403.
    app = Aksara(title="aksara library", debug=debug)

    @app.post("/authors", response_model=AuthorRead, status_code=201)
    async def sign_up(payload: AuthorCreate, db: DBTransaction) -> LibraryAuthor:
        """Create an author; a welcome mail is sent once the sign-up is committed."""
        return await services.sign_up(**payload.model_dump())

    @app.get("/authors", response_model=list[AuthorRead])
    async def list_authors() -> list[LibraryAuthor]:
        return await LibraryAuthor.objects.all()

    @app.get("/authors/{author_id}", response_model=AuthorRead)
    async def read_author(author_id: uuid.UUID) -> LibraryAuthor:
        return await LibraryAuthor.objects.get(id=author_id)

    @app.patch("/authors/{author_id}", response_model=AuthorRead)
    async def update_author(
        author_id: uuid.UUID, payload: AuthorUpdate, db: DBTransaction
    ) -> LibraryAuthor:
        author = await LibraryAuthor.objects.get(id=author_id)
        for name, value in payload.model_dump(exclude_unset=True).items():
            setattr(author, name, value)
        await author.save()
        return author

    @app.delete("/authors/{author_id}", status_code=204)
    async def delete_author(author_id: uuid.UUID, db: DBTransaction) -> None:
        """409 while the author still has assets (``on_delete=PROTECT``)."""
        author = await LibraryAuthor.objects.get(id=author_id)
        await author.delete()

    @app.post("/assets", response_model=AssetRead, status_code=201)
    async def create_asset(payload: AssetCreate, db: DBTransaction) -> LibraryAsset:
        return await services.create_asset(**payload.model_dump())

    @app.get("/assets", response_model=list[AssetRead])
    async def list_assets(
        tag: str | None = None,
        status: AssetStatus | None = None,
        author_id: uuid.UUID | None = None,
    ) -> list[LibraryAsset]:
        """Assets, newest first; ``?tag=postgres`` keeps those with that tag."""
        assets = LibraryAsset.objects.prefetch_related("tags")
        if tag is not None:
            assets = assets.filter(tags__name=tag)
        if status is not None:
            assets = assets.filter(status=status)
        if author_id is not None:
            assets = assets.filter(author_id=author_id)
        return await assets

    @app.get("/assets/{asset_id}", response_model=AssetRead)
    async def read_asset(asset_id: uuid.UUID) -> LibraryAsset:
        return await LibraryAsset.objects.prefetch_related("tags").get(id=asset_id)

    @app.patch("/assets/{asset_id}", response_model=AssetRead)
    async def update_asset(
        asset_id: uuid.UUID, payload: AssetUpdate, db: DBTransaction
    ) -> LibraryAsset:
        asset = await LibraryAsset.objects.get(id=asset_id)
        values = payload.model_dump(exclude_unset=True)
        tags = values.pop("tags", None)
        return await services.update_asset(asset, values, tags)

    @app.delete("/assets/{asset_id}", status_code=204)
    async def delete_asset(asset_id: uuid.UUID, db: DBTransaction) -> None:
        """Deletes the row; its file and preview are removed after the commit."""
        asset = await LibraryAsset.objects.get(id=asset_id)
        await asset.delete()

    @app.post("/assets/{asset_id}/file")
    async def upload_file(
        asset_id: uuid.UUID, file: UploadFile, db: DBTransaction
    ) -> dict[str, Any]:
        """Store the asset's file; a file it replaces is removed after the commit."""
        asset = await LibraryAsset.objects.get(id=asset_id)
        asset.file = file
        await asset.save()
        return {"file": asset.file.url, "size": await asset.file.size()}

    @app.post("/assets/{asset_id}/preview")
    async def upload_preview(
        asset_id: uuid.UUID, file: UploadFile, db: DBTransaction
    ) -> dict[str, Any]:
        """Store a preview image; content that is not an image is a 422 and nothing is written."""
        asset = await LibraryAsset.objects.get(id=asset_id)
        asset.preview = file
        await asset.save()
        width, height = await asset.preview.dimensions()
        return {"preview": asset.preview.url, "width": width, "height": height}

    @app.get("/assets/{asset_id}/similar", response_model=list[SimilarAsset])
    async def similar_assets(
        asset_id: uuid.UUID, k: Annotated[int, Query(ge=1, le=50)] = 3
    ) -> list[LibraryAsset]:
        """The ``k`` assets whose embeddings are nearest to this one's, nearest first."""
        asset = await LibraryAsset.objects.get(id=asset_id)
        return await services.similar_assets(asset, k=k)

    @app.get("/tags", response_model=list[TagRead])
    async def list_tags() -> list[LibraryTag]:
        return await LibraryTag.objects.all()

    @app.get("/ai/context", response_class=Response)
    async def ai_context() -> Response:
        """The models described for an LLM prompt (markdown); sensitive fields left out."""
        return Response(model_context(*MODELS), media_type="text/markdown")

    @app.get("/ai/tools")
    async def ai_tools(format: Literal["mcp", "openai", "json"] = "mcp") -> list[dict[str, Any]]:
        """The agent tools, as MCP tool definitions or OpenAI function tools."""
        return toolkit.export(format)

    @app.post("/ai/tools/{name}")
    async def call_tool(
        name: str, db: DBTransaction, arguments: dict[str, Any] = Body(default_factory=dict)
    ) -> dict[str, Any]:
        """Run an agent's tool call: 403 for what agents may not touch, 422 for bad arguments."""
        return await toolkit.call(name, arguments)

    return app


app = create_app()


def main() -> None:
    """Bring the database up to date (``alembic upgrade head``), then serve on 127.0.0.1:8000."""
    import uvicorn

    from .migrations import upgrade

    upgrade()
    uvicorn.run(create_app(debug=True), host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
