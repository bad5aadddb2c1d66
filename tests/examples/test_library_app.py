"""The example library's endpoints, through httpx against the ASGI app."""

import math
import uuid

import pytest

from examples.library.embeddings import DIMENSIONS, embed
from examples.library.models import LibraryAsset, LibraryAuthor, LibraryTag
from examples.library.walkthrough import png

ADA = {"name": "Ada Lovelace", "email": "ada@example.com"}


async def sign_up(client, **values) -> dict:
    response = await client.post("/authors", json={**ADA, **values})
    assert response.status_code == 201, response.text
    return response.json()


async def create_asset(client, author: dict, title: str, **values) -> dict:
    response = await client.post(
        "/assets", json={"title": title, "author_id": author["id"], **values}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_embed_is_a_deterministic_unit_vector_of_the_words():
    vector = embed("PostgreSQL indexes and PostgreSQL tuning")
    assert vector == embed("postgresql TUNING, indexes; postgresql!")  # words, not formatting
    assert len(vector) == DIMENSIONS
    assert math.isclose(math.fsum(x * x for x in vector), 1.0, abs_tol=1e-5)
    assert min(vector) >= 0
    assert embed("the and of") is None and embed("...") is None


async def test_sign_up_sends_the_welcome_mail_after_the_commit(client, mailoutbox):
    author = await sign_up(client, bio="First programmer")
    assert author["name"] == "Ada Lovelace" and author["bio"] == "First programmer"
    assert author["joined_at"] is not None
    [mail] = mailoutbox
    assert mail.subject == "Welcome to the library"
    assert mail.to == ["ada@example.com"]
    assert "Hello Ada Lovelace" in mail.body


async def test_taken_or_invalid_email_is_refused_and_sends_no_mail(client, mailoutbox):
    await sign_up(client)
    mailoutbox.clear()
    taken = await client.post("/authors", json={**ADA, "name": "Someone else"})
    invalid = await client.post("/authors", json={**ADA, "email": "not-an-email"})
    assert taken.status_code == 409
    assert "uq_library_author_email" in taken.json()["detail"]
    assert invalid.status_code == 422
    assert invalid.json()["detail"][0]["loc"] == ["body", "email"]
    assert mailoutbox == []
    assert [a["name"] for a in (await client.get("/authors")).json()] == ["Ada Lovelace"]


async def test_author_read_update_and_delete(client, mailoutbox):
    author = await sign_up(client)
    url = f"/authors/{author['id']}"
    assert (await client.get(url)).json() == author
    patched = await client.patch(url, json={"name": "  Ada King  ", "bio": "Countess"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["bio"]) == ("Ada King", "Countess")
    # ai_sensitive: the address is accepted at sign-up and never sent back.
    assert "email" not in patched.json() and "email" not in author
    assert (await client.delete(url)).status_code == 204
    missing = await client.get(url)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "LibraryAuthor not found"


async def test_an_author_with_assets_cannot_be_deleted(client, mailoutbox):
    author = await sign_up(client)
    await create_asset(client, author, "Notes")
    response = await client.delete(f"/authors/{author['id']}")
    assert response.status_code == 409
    assert "fk_library_asset_author_id_library_author" in response.json()["detail"]
    assert (await client.get(f"/authors/{author['id']}")).status_code == 200


async def test_create_asset_fills_slug_embedding_and_tags(client, mailoutbox):
    author = await sign_up(client)
    body = await create_asset(
        client,
        author,
        "Intro to PostgreSQL",
        description="Tables and queries",
        tags=["Postgres", "intro", "postgres"],
        metadata={"pages": 10},
    )
    assert body["slug"] == "intro-to-postgresql"
    assert body["tags"] == ["intro", "postgres"]  # lower-cased, once each, by name
    assert body["status"] == "draft" and body["metadata"] == {"pages": 10}
    assert body["file"] is None and body["preview"] is None
    assert "embedding" not in body
    again = await create_asset(client, author, "Intro to PostgreSQL")
    assert again["slug"] == "intro-to-postgresql-2"
    asset = await LibraryAsset.objects.get(id=body["id"])
    assert asset.embedding == pytest.approx(embed("Intro to PostgreSQL\nTables and queries"))
    assert await LibraryTag.objects.values_list("name", flat=True) == ["intro", "postgres"]


async def test_asset_request_bodies_leave_computed_fields_out(client, mailoutbox):
    author = await sign_up(client)
    empty = await client.post("/assets", json={"title": "", "author_id": author["id"]})
    unknown = await client.post("/assets", json={"title": "Ghost", "author_id": str(uuid.uuid4())})
    status = await client.post(
        "/assets", json={"title": "Odd", "author_id": author["id"], "status": "lost"}
    )
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "title"]
    assert unknown.status_code == 409  # the foreign key
    assert status.status_code == 422 and status.json()["detail"][0]["loc"] == ["body", "status"]
    properties = (await client.get("/openapi.json")).json()["components"]["schemas"]
    create = properties["AssetCreate"]["properties"]
    assert {"file", "preview", "embedding"}.isdisjoint(create) and "tags" in create
    assert await LibraryAsset.objects.count() == 0


async def test_update_asset_follows_the_text_and_replaces_tags(client, mailoutbox):
    author = await sign_up(client)
    body = await create_asset(client, author, "Bread", tags=["recipes", "baking"])
    url = f"/assets/{body['id']}"
    status_only = await client.patch(url, json={"status": "published"})
    assert status_only.json()["tags"] == ["baking", "recipes"]  # unchanged when not sent
    patched = await client.patch(url, json={"title": "Sourdough bread", "tags": ["sourdough"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["tags"] == ["sourdough"]
    assert patched.json()["status"] == "published"
    assert patched.json()["slug"] == "bread"  # a slug is kept once set
    asset = await LibraryAsset.objects.get(id=body["id"])
    assert asset.embedding == pytest.approx(embed("Sourdough bread\n"))
    assert (await client.get(url)).json() == patched.json()


async def test_list_assets_by_tag_status_and_author(client, mailoutbox):
    ada = await sign_up(client)
    bob = await sign_up(client, name="Bob", email="bob@example.com")
    await create_asset(client, ada, "Alpha", tags=["postgres"])
    await create_asset(client, ada, "Beta", tags=["postgres", "python"], status="published")
    await create_asset(client, bob, "Gamma", tags=["python"], status="published")

    async def titles(query: str) -> list[str]:
        response = await client.get(f"/assets{query}")
        assert response.status_code == 200, response.text
        return sorted(asset["title"] for asset in response.json())

    assert await titles("") == ["Alpha", "Beta", "Gamma"]
    assert await titles("?tag=postgres") == ["Alpha", "Beta"]
    assert await titles("?tag=python&status=published") == ["Beta", "Gamma"]
    assert await titles(f"?author_id={bob['id']}") == ["Gamma"]
    assert await titles("?tag=nothing") == []
    assert (await client.get("/assets?status=lost")).status_code == 422
    assert [t["name"] for t in (await client.get("/tags")).json()] == ["postgres", "python"]


async def test_uploads_are_stored_served_and_removed_with_the_asset(client, media_root, mailoutbox):
    author = await sign_up(client)
    body = await create_asset(client, author, "Report")
    url = f"/assets/{body['id']}"
    file = await client.post(f"{url}/file", files={"file": ("report.pdf", b"%PDF-1.4 report")})
    preview = await client.post(f"{url}/preview", files={"file": ("cover.png", png(8, 6))})
    assert file.status_code == 200, file.text
    assert preview.status_code == 200, preview.text
    assert file.json() == {"file": "/media/library/files/report.pdf", "size": 15}
    assert preview.json() == {
        "preview": "/media/library/previews/cover.png",
        "width": 8,
        "height": 6,
    }
    served = await client.get(file.json()["file"])
    assert served.status_code == 200 and served.content == b"%PDF-1.4 report"
    read = (await client.get(url)).json()
    assert (read["file"], read["preview"]) == (
        "library/files/report.pdf",
        "library/previews/cover.png",
    )

    replaced = await client.post(f"{url}/file", files={"file": ("report.pdf", b"%PDF-1.4 v2")})
    assert replaced.json()["file"] != file.json()["file"]  # a new name; the old file is removed
    assert sorted(p.name for p in (media_root / "library" / "files").iterdir()) == [
        replaced.json()["file"].rsplit("/", 1)[1]
    ]
    assert (await client.delete(url)).status_code == 204
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


async def test_a_preview_that_is_not_an_image_is_422_and_writes_nothing(
    client, media_root, mailoutbox
):
    author = await sign_up(client)
    body = await create_asset(client, author, "Report")
    response = await client.post(
        f"/assets/{body['id']}/preview", files={"file": ("cover.png", b"not an image")}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "preview"]
    assert not media_root.exists() or [p for p in media_root.rglob("*") if p.is_file()] == []
    assert (await LibraryAsset.objects.get(id=body["id"])).preview.name is None


async def test_similar_assets_are_the_nearest_by_cosine_distance(client, mailoutbox):
    author = await sign_up(client)
    guide = await create_asset(client, author, "Tuning PostgreSQL", description="PostgreSQL WAL")
    texts = {
        "PostgreSQL indexes": "Index types in PostgreSQL",
        "Sourdough bread": "Flour, water and salt",
        "Tuning PostgreSQL writes": "WAL and checkpoints in PostgreSQL",
    }
    for title, description in texts.items():
        await create_asset(client, author, title, description=description)
    response = await client.get(f"/assets/{guide['id']}/similar?k=2")
    assert response.status_code == 200, response.text

    def cosine_distance(a: list[float], b: list[float]) -> float:
        return 1 - sum(x * y for x, y in zip(a, b, strict=True))

    query = embed("Tuning PostgreSQL\nPostgreSQL WAL")
    expected = sorted(
        (cosine_distance(query, embed(f"{title}\n{text}")), title) for title, text in texts.items()
    )[:2]
    similar = response.json()
    assert [item["title"] for item in similar] == [title for _, title in expected]
    assert [item["distance"] for item in similar] == pytest.approx(
        [d for d, _ in expected], abs=1e-4
    )
    assert set(similar[0]) == {"id", "slug", "title", "distance"}
    assert (await client.get(f"/assets/{guide['id']}/similar?k=0")).status_code == 422


async def test_unknown_ids_are_404(client):
    missing = uuid.uuid4()
    for method, url in [
        ("GET", f"/authors/{missing}"),
        ("GET", f"/assets/{missing}"),
        ("PATCH", f"/assets/{missing}"),
        ("DELETE", f"/assets/{missing}"),
        ("GET", f"/assets/{missing}/similar"),
    ]:
        response = await client.request(method, url, json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, url)


async def test_ai_context_describes_the_models_without_the_sensitive_email(client):
    response = await client.get("/ai/context")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert "## LibraryAuthor" in text and "## LibraryAsset" in text
    assert "Publication state" in text  # an ai_description
    assert "email" not in text


async def test_ai_tools_let_agents_read_search_and_update_but_not_create_or_delete(client):
    mcp = (await client.get("/ai/tools")).json()
    names = {tool["name"] for tool in mcp}
    assert "library_asset_search" in names and "library_author_update" in names
    assert not {n for n in names if n.endswith(("_create", "_delete"))}
    author_get = next(tool for tool in mcp if tool["name"] == "library_author_get")
    assert author_get["annotations"]["readOnlyHint"] is True
    update = next(tool for tool in mcp if tool["name"] == "library_asset_update")
    assert "embedding" not in update["inputSchema"]["properties"]["data"]["properties"]
    openai = (await client.get("/ai/tools?format=openai")).json()
    assert {tool["function"]["name"] for tool in openai} == names
    assert (await client.get("/ai/tools?format=yaml")).status_code == 422


async def test_agent_tool_calls_run_under_the_field_guards(client, mailoutbox):
    author = await sign_up(client)
    asset = await create_asset(client, author, "Bread", tags=["recipes"])

    async def tool(name: str, arguments: dict):
        return await client.post(f"/ai/tools/{name}", json=arguments)

    found = await tool("library_asset_list", {"filters": {"tags__name": {"exact": "recipes"}}})
    assert [item["title"] for item in found.json()["items"]] == ["Bread"]
    seen = (await tool("library_author_get", {"id": author["id"]})).json()
    assert seen["name"] == "Ada Lovelace" and "email" not in seen

    renamed = await tool(
        "library_asset_update", {"id": asset["id"], "data": {"title": "Sourdough bread"}}
    )
    assert renamed.status_code == 200, renamed.text
    stored = await LibraryAsset.objects.get(id=asset["id"])
    assert stored.embedding == pytest.approx(embed("Sourdough bread\n"))  # save() keeps it current

    read_only = await tool("library_asset_update", {"id": asset["id"], "data": {"embedding": [0]}})
    hidden = await tool("library_author_update", {"id": author["id"], "data": {"email": "x@y.z"}})
    missing = await tool("library_asset_delete", {"id": asset["id"]})
    bad = await tool("library_asset_update", {"id": asset["id"], "data": {"status": "lost"}})
    assert read_only.status_code == 403
    assert read_only.json() == {"detail": "LibraryAsset.embedding is read-only for agents"}
    assert hidden.status_code == 403 and "email" in hidden.json()["detail"]
    assert missing.status_code == 403
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "status"]
    assert (await LibraryAsset.objects.get(id=asset["id"])).status == "draft"


async def test_saving_with_update_fields_keeps_the_embedding_current(db):
    author = await LibraryAuthor.objects.create(name="Ada", email="ada@example.com")
    asset = await LibraryAsset.objects.create(title="Bread", author=author)
    asset.title = "Sourdough"
    await asset.save(update_fields=["title"])
    await asset.refresh_from_db()
    assert asset.embedding == pytest.approx(embed("Sourdough\n"))
