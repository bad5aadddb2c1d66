"""Hostile filter values and names become ``QueryError`` before any SQL, and errors reach HTTP
clients as 4xx responses without internals.

Issue item 13: NUL bytes and lone surrogates reached PostgreSQL; ``tags__\u00b2`` and ``data__\u00b2``
raised ``ValueError``; ``data__\u0661`` (an Arabic-Indic one) was index 1; a huge index failed in the database; a huge
duration raised ``OverflowError`` out of the agent toolkit; ``QueryError`` was a 500.
"""

import uuid

import httpx
import pytest

from aksara import Aksara
from aksara.ai import AgentToolkit
from aksara.exceptions import AksaraError, QueryError, ValidationError
from aksara.testing import capture_queries
from tests.security.models import SecDoc

HOSTILE = [
    {"title": "a\x00b"},
    {"title": "a\ud800"},
    {"title__icontains": "\x00"},
    {"title__iexact": "\udfff"},
    {"data__contains": {"k": "\x00"}},
    {"data__contains": {"\x00": 1}},
    {"data__has_key": "\x00"},
    {"data__has_keys": ["ok", "\ud800"]},
    {"data__k\x00ey": 1},
    {"tags__contains": ["\x00"]},
    {"tags__99999999999999999999": "x"},
    {"tags__\u00b2": "x"},
    {"spent": "9" * 400},
    {"spent__gt": "P" + "9" * 30 + "D"},
]


@pytest.mark.parametrize("lookups", HOSTILE, ids=lambda d: ascii(d)[:40])
async def test_hostile_filters_are_query_errors_before_any_sql(db, lookups):
    with capture_queries() as queries, pytest.raises(QueryError):
        await SecDoc.objects.filter(**lookups).count()
    assert len(queries) == 0


async def test_non_ascii_digits_are_json_keys_not_indexes(db):
    await SecDoc.objects.create(title="keyed", data={"\u0661": "x", "\u00b2": "y"})
    await SecDoc.objects.create(title="listed", data=["a", "x"])
    by_arabic_one = SecDoc.objects.filter(**{"data__\u0661": "x"})
    assert await by_arabic_one.values_list("title", flat=True) == ["keyed"]
    by_superscript = SecDoc.objects.filter(**{"data__\u00b2": "y"})
    assert await by_superscript.values_list("title", flat=True) == ["keyed"]
    assert await SecDoc.objects.filter(data__1="x").values_list("title", flat=True) == ["listed"]
    # A number no array index can reach is an object key too.
    assert await SecDoc.objects.filter(data__99999999999999999999=1).count() == 0


async def test_the_agent_toolkit_turns_hostile_values_into_validation_errors(db):
    toolkit = AgentToolkit([SecDoc])
    for arguments in (
        {"filters": {"spent": {"gt": "9" * 400}}},
        {"filters": {"title": {"exact": "a\x00"}}},
    ):
        with pytest.raises(AksaraError) as info:
            await toolkit.call("sec_doc_list", arguments)
        assert isinstance(info.value, (ValidationError, QueryError))
    with pytest.raises(ValidationError):
        await toolkit.call("sec_doc_create", {"data": {"title": "x", "spent": "9" * 400}})


async def test_http_clients_get_4xx_without_internals(db):
    app = Aksara(database_url=None)

    @app.get("/docs/{doc_id}")
    async def read(doc_id: str) -> dict[str, str]:
        doc = await SecDoc.objects.get(id=doc_id)
        return {"title": doc.title}

    @app.get("/search")
    async def search(key: str) -> int:
        return await SecDoc.objects.filter(**{f"data__{key}": 1}).count()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/docs/not-a-uuid")
        assert response.status_code == 400
        assert "SecDoc.id" in response.json()["detail"]
        assert (await client.get(f"/docs/{uuid.uuid4()}")).status_code == 404
        response = await client.get("/search", params={"key": "k\x00"})
        assert response.status_code == 400 and "NUL" in response.json()["detail"]
