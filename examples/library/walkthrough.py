"""A scripted tour of the library's API: each step is one HTTP request, and what came back.

    python examples/demo.py                   # from the repository's root (the README's demo)
    python -m examples.library.walkthrough    # the same

First ``alembic upgrade head`` (the committed migration in alembic/versions/), then the
requests, sent in process through httpx's ``ASGITransport`` (no server, no network). Mail
goes to the console and files under ``media/``. Everything it creates is deleted at the end
(tags stay), so it can run again and again on the same database.
"""

import asyncio
import io
import json
import secrets
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image

import aksara
from aksara.storage import close_storage

from .app import create_app
from .migrations import upgrade

ASSETS = [
    {
        "title": "Tuning PostgreSQL for write-heavy workloads",
        "description": "Checkpoints, WAL settings and autovacuum for PostgreSQL under heavy writes.",
        "tags": ["postgres", "performance"],
        "metadata": {"pages": 24, "language": "en"},
    },
    {
        "title": "PostgreSQL indexes: B-tree, GIN and HNSW",
        "description": "Which PostgreSQL index answers which query, and how to tune them.",
        "tags": ["postgres", "indexes"],
        "metadata": {"pages": 12, "language": "en"},
    },
    {
        "title": "Sourdough bread at home",
        "description": "A starter, flour, water and salt: a slow bread recipe for beginners.",
        "tags": ["recipes"],
        "metadata": {"pages": 3, "language": "en"},
    },
]


class UnexpectedResponse(Exception):
    """The app answered a step with another status than the walkthrough expects."""


async def walkthrough(client: httpx.AsyncClient, *, out: Callable[[str], Any] = print) -> None:
    """Run every step against the app behind ``client``; raises ``UnexpectedResponse`` if one fails."""

    async def call(method: str, url: str, expect: int, **kwargs: Any) -> Any:
        shown = f"  {method} {url}"
        if "json" in kwargs:
            body = json.dumps(kwargs["json"])
            shown += " " + (body if len(body) <= 90 else body[:87] + "...")
        if "files" in kwargs:
            shown += " " + ", ".join(
                f"{k}={v[0]!r} ({len(v[1])} bytes)" for k, v in kwargs["files"].items()
            )
        out(shown)
        response = await client.request(method, url, **kwargs)
        if response.status_code != expect:
            raise UnexpectedResponse(
                f"{method} {url}: expected {expect}, got {response.status_code}: {response.text}"
            )
        if response.content and response.headers["content-type"] == "application/json":
            return response.json()
        return response

    def step(title: str) -> None:
        out(f"\n== {title}")

    def show(text: str) -> None:
        out(f"  -> {text}")

    step("Sign up an author: the welcome mail is sent once the request's transaction commits")
    # A new address on every run, so that runs never collide.
    email = f"ada.{secrets.token_hex(3)}@example.com"
    author = await call("POST", "/authors", 201, json={"name": "Ada Lovelace", "email": email})
    show(f"201 {author['name']}, id {author['id']} (the address is not sent back: ai_sensitive)")

    step("The same address again: the unique constraint answers 409, and no mail is sent")
    conflict = await call("POST", "/authors", 409, json={"name": "Ada again", "email": email})
    show(f"409 {conflict['detail']}")

    step("A bad address: aksara's validation answers 422 and nothing is written")
    invalid = await call("POST", "/authors", 422, json={"name": "Bob", "email": "not-an-email"})
    show("422 " + "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in invalid["detail"]))

    step("Create three assets: slugs come from the titles, embeddings from the text")
    assets: list[dict[str, Any]] = []
    for asset in ASSETS:
        created = await call("POST", "/assets", 201, json={**asset, "author_id": author["id"]})
        assets.append(created)
        show(f"201 {created['slug']}  tags={created['tags']}  status={created['status']}")
    guide, _, bread = assets

    step("Upload the guide's file and a preview image (multipart, FastAPI's UploadFile)")
    pdf = b"%PDF-1.4\n% Tuning PostgreSQL for write-heavy workloads\n"
    uploaded = await call(
        "POST", f"/assets/{guide['id']}/file", 200, files={"file": ("tuning.pdf", pdf)}
    )
    show(f"200 stored at {uploaded['file']} ({uploaded['size']} bytes)")
    preview = await call(
        "POST", f"/assets/{guide['id']}/preview", 200, files={"file": ("cover.png", png(64, 48))}
    )
    show(f"200 preview {preview['preview']} ({preview['width']}x{preview['height']})")
    served = await call("GET", uploaded["file"], 200)
    show(f"200 the debug media mount serves it back: {served.content == pdf}")

    step("Content that is not an image is refused as a preview: 422, no file written")
    refused = await call(
        "POST", f"/assets/{bread['id']}/preview", 422, files={"file": ("bread.png", b"crumbs")}
    )
    show(f"422 {refused['detail'][0]['msg']}")

    step("Filter by tag (tags__name=...) and by status, among this author's assets")
    mine = f"/assets?author_id={author['id']}"
    tagged = await call("GET", f"{mine}&tag=postgres", 200)
    show(f"200 tagged 'postgres': {[a['title'] for a in tagged]}")
    updated = await call(
        "PATCH",
        f"/assets/{guide['id']}",
        200,
        json={"status": "published", "tags": ["postgres", "performance", "guides"]},
    )
    show(f"200 {updated['slug']} is {updated['status']}, tags={updated['tags']}")
    published = await call("GET", f"{mine}&status=published", 200)
    show(f"200 published: {[a['title'] for a in published]}")

    step("Similar assets: nearest neighbours of the guide's embedding (pgvector, cosine)")
    similar = await call("GET", f"/assets/{guide['id']}/similar?k=2", 200)
    for item in similar:
        show(f"{item['distance']:.3f}  {item['title']}")

    step("AI agents: tools exported from the field metadata, and tool calls under guard")
    tools = await call("GET", "/ai/tools?format=mcp", 200)
    show(f"200 {len(tools)} MCP tools: {', '.join(tool['name'] for tool in tools[:5])}, ...")
    found = await call(
        "POST",
        "/ai/tools/library_asset_list",
        200,
        json={"filters": {"author": {"exact": author["id"]}, "tags__name": {"exact": "guides"}}},
    )
    show(f"200 library_asset_list found {[item['title'] for item in found['items']]}")
    agent_author = await call(
        "POST", "/ai/tools/library_author_get", 200, json={"id": author["id"]}
    )
    show(f"200 library_author_get: {sorted(agent_author)} (the email is ai_sensitive)")
    archived = await call(
        "POST",
        "/ai/tools/library_asset_update",
        200,
        json={"id": bread["id"], "data": {"status": "archived"}},
    )
    show(f"200 library_asset_update: {archived['title']!r} is {archived['status']}")
    denied = await call(
        "POST",
        "/ai/tools/library_asset_update",
        403,
        json={"id": guide["id"], "data": {"embedding": [1.0] * 16}},
    )
    show(f"403 {denied['detail']}")

    step("An author who still has assets cannot be deleted (on_delete=PROTECT): 409")
    protected = await call("DELETE", f"/authors/{author['id']}", 409)
    show(f"409 {protected['detail']}")

    step("Clean up: delete the assets (their files go after the commit), then the author")
    for asset in assets:
        await call("DELETE", f"/assets/{asset['id']}", 204)
    await call("DELETE", f"/authors/{author['id']}", 204)
    await call("GET", uploaded["file"], 404)
    show("204 everything deleted; the uploaded file is gone (404)")


def png(width: int, height: int) -> bytes:
    """A small PNG image, made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (51, 103, 145)).save(buffer, "PNG")
    return buffer.getvalue()


async def run() -> None:
    """Connect (``AKSARA_DATABASE_URL``, else the embedded PostgreSQL) and walk through the API."""
    await aksara.connect()
    try:
        transport = httpx.ASGITransport(app=create_app(debug=True))
        async with httpx.AsyncClient(transport=transport, base_url="http://library") as client:
            await walkthrough(client)
    finally:
        await close_storage()
        await aksara.disconnect()
    print("\nDone. Serve the same app on http://127.0.0.1:8000: python examples/demo.py serve")


def main() -> None:
    print("alembic upgrade head (AKSARA_MODELS=examples.library.models)", flush=True)
    upgrade()  # runs its own event loop, so before asyncio.run()
    print(
        "\nThe walkthrough: each step is one request, sent to the app through httpx.ASGITransport"
    )
    asyncio.run(run())


if __name__ == "__main__":
    main()
