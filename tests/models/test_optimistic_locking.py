"""Optimistic locking: Meta.version_field makes a lost update an error, not a silent
overwrite."""

import asyncio

import pytest

from aksara import F, Model, fields
from aksara.exceptions import ConfigurationError, StaleObjectError
from aksara.registry import registry


class OlDoc(Model):
    title = fields.String(max_length=50)
    views = fields.Integer(default=0)
    version = fields.Integer(default=0)

    class Meta:
        version_field = "version"


async def test_saves_bump_the_version_and_a_stale_copy_cannot_overwrite(db):
    doc = await OlDoc.objects.create(title="a")
    assert doc.version == 1
    first = await OlDoc.objects.get(pk=doc.pk)
    second = await OlDoc.objects.get(pk=doc.pk)
    first.title = "first"
    await first.save()
    assert first.version == 2
    second.title = "second"
    with pytest.raises(StaleObjectError) as caught:
        await second.save()
    assert caught.value.model == "OlDoc" and "version 1" in str(caught.value)
    stored = await OlDoc.objects.get(pk=doc.pk)
    assert (stored.title, stored.version) == ("first", 2)
    await second.refresh_from_db()
    second.title = "second"
    await second.save()  # after a refresh it holds the current version
    assert (await OlDoc.objects.get(pk=doc.pk)).title == "second"


async def test_no_change_no_bump_and_expressions_and_update_fields(db):
    doc = await OlDoc.objects.create(title="a")
    await doc.save()
    assert doc.version == 1 and (await OlDoc.objects.get(pk=doc.pk)).version == 1
    doc.views = F("views") + 1
    await doc.save()
    assert (doc.views, doc.version) == (1, 2)
    doc.title = "b"
    doc.views = 5
    await doc.save(update_fields=["title"])
    stored = await OlDoc.objects.get(pk=doc.pk)
    assert (stored.title, stored.views, stored.version) == ("b", 1, 3)


async def test_a_stale_delete_is_refused(db):
    doc = await OlDoc.objects.create(title="a")
    stale = await OlDoc.objects.get(pk=doc.pk)
    doc.title = "changed"
    await doc.save()
    with pytest.raises(StaleObjectError):
        await stale.delete()
    assert await OlDoc.objects.filter(pk=doc.pk).exists()
    await doc.delete()
    assert not await OlDoc.objects.filter(pk=doc.pk).exists()


async def test_queryset_updates_bump_every_row(db):
    a = await OlDoc.objects.create(title="a")
    await OlDoc.objects.create(title="b")
    assert await OlDoc.objects.update(views=3) == 2
    assert sorted(await OlDoc.objects.values_list("version", flat=True)) == [2, 2]
    a.title = "stale"
    with pytest.raises(StaleObjectError):
        await a.save()


async def test_concurrent_saves_one_wins(transactional_db):
    doc = await OlDoc.objects.create(title="a")
    copies = [await OlDoc.objects.get(pk=doc.pk) for _ in range(10)]

    async def edit(i, copy):
        copy.title = f"t{i}"
        try:
            await copy.save()
            return True
        except StaleObjectError:
            return False

    results = await asyncio.gather(*(edit(i, c) for i, c in enumerate(copies)))
    assert results.count(True) == 1
    assert (await OlDoc.objects.get(pk=doc.pk)).version == 2


def test_the_version_field_must_be_an_integer_field():
    for name, field in (("OlBad1", fields.String(max_length=5)), ("OlBad2", None)):
        attrs = {"__module__": __name__, "Meta": type("Meta", (), {"version_field": "v"})}
        if field is not None:
            attrs["v"] = field
        with pytest.raises(ConfigurationError, match="version_field"):
            type(name, (Model,), attrs)
        model = registry.get(name)
        if model is not None:
            registry.unregister(model)


async def test_bulk_created_rows_start_at_version_one(db):
    docs = await OlDoc.objects.bulk_create([OlDoc(title="a"), OlDoc(title="b")])
    assert [d.version for d in docs] == [1, 1]
    docs[0].title = "c"
    await docs[0].save()
    assert docs[0].version == 2


async def test_fastapi_answers_a_stale_write_with_409(db):
    import httpx
    from fastapi import FastAPI

    from aksara.contrib.fastapi.exception_handlers import add_exception_handlers

    doc = await OlDoc.objects.create(title="a")
    app = FastAPI()
    add_exception_handlers(app)

    @app.put("/docs")
    async def edit() -> dict[str, str]:
        stale = await OlDoc.objects.get(pk=doc.pk)
        fresh = await OlDoc.objects.get(pk=doc.pk)
        fresh.title = "first"
        await fresh.save()
        stale.title = "second"
        await stale.save()  # another writer came first
        return {"title": stale.title}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.put("/docs")
    assert response.status_code == 409 and "reload it" in response.json()["detail"]


async def test_etag_and_if_match_over_http(db):
    import httpx
    from fastapi import FastAPI, Request, Response

    from aksara.contrib.fastapi import check_if_match, set_etag
    from aksara.contrib.fastapi.exception_handlers import add_exception_handlers

    doc = await OlDoc.objects.create(title="a")
    app = FastAPI()
    add_exception_handlers(app)

    @app.get("/doc")
    async def read(response: Response) -> dict[str, str]:
        found = await OlDoc.objects.get(pk=doc.pk)
        set_etag(response, found)
        return {"title": found.title}

    @app.put("/doc")
    async def edit(title: str, request: Request, response: Response) -> dict[str, str]:
        found = await OlDoc.objects.get(pk=doc.pk)
        check_if_match(request, found)
        found.title = title
        await found.save()
        set_etag(response, found)
        return {"title": found.title}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        tag = (await client.get("/doc")).headers["etag"]
        assert tag == '"1"'
        assert (await client.put("/doc", params={"title": "x"})).status_code == 428
        done = await client.put("/doc", params={"title": "b"}, headers={"If-Match": tag})
        assert done.status_code == 200 and done.headers["etag"] == '"2"'
        stale = await client.put("/doc", params={"title": "c"}, headers={"If-Match": tag})
        assert stale.status_code == 412
        anything = await client.put("/doc", params={"title": "d"}, headers={"If-Match": "*"})
        assert anything.status_code == 200
    assert (await OlDoc.objects.get(pk=doc.pk)).title == "d"
