"""What the library does, apart from HTTP: sign-up with a welcome mail, tags, similar assets."""

from collections.abc import Iterable
from typing import Any

import aksara
from aksara import send_mail

from .models import LibraryAsset, LibraryAuthor, LibraryTag


async def sign_up(**values: Any) -> LibraryAuthor:
    """Create an author and send the welcome mail once the sign-up is committed.

    Inside a request's transaction the mail waits for its COMMIT: a sign-up that fails
    later (a duplicate email is a 409) sends nothing.
    """
    async with aksara.transaction():
        author = await LibraryAuthor.objects.create(**values)
        await send_mail(
            "Welcome to the library",
            f"Hello {author.name},\n\nyour account is ready: upload your first asset.",
            None,  # the default_from_email setting
            [author.email],
            on_commit=True,
        )
    return author


async def tags_named(names: Iterable[str]) -> list[LibraryTag]:
    """The tags with these names, created when missing (names are lower-cased)."""
    tags: list[LibraryTag] = []
    for name in dict.fromkeys(n.strip().lower() for n in names):
        tag, _ = await LibraryTag.objects.get_or_create(name=name)
        tags.append(tag)
    return tags


async def create_asset(*, tags: Iterable[str] = (), **values: Any) -> LibraryAsset:
    """Create an asset with its tags; its tags are loaded on the result."""
    async with aksara.transaction():
        asset = await LibraryAsset.objects.create(**values)
        await asset.tags.set(await tags_named(tags))
    await asset.fetch_related("tags")
    return asset


async def update_asset(
    asset: LibraryAsset, values: dict[str, Any], tags: Iterable[str] | None = None
) -> LibraryAsset:
    """Apply ``values``, and replace the tags when given; its tags are loaded on the result."""
    async with aksara.transaction():
        for name, value in values.items():
            setattr(asset, name, value)
        await asset.save()
        if tags is not None:
            await asset.tags.set(await tags_named(tags))
    await asset.fetch_related("tags")
    return asset


async def similar_assets(asset: LibraryAsset, *, k: int = 3) -> list[LibraryAsset]:
    """The ``k`` other assets nearest to ``asset`` by cosine distance (``.distance`` on each)."""
    if asset.embedding is None:
        return []
    others = LibraryAsset.objects.exclude(id=asset.id)
    return await others.nearest("embedding", asset.embedding, k=k, metric="cosine")
