"""Tortoise ORM, as its documentation recommends: models, ``Tortoise.init``, querysets.

``create``, ``in_transaction``, ``bulk_create``, ``filter``, ``select_related`` and
``prefetch_related`` for relations, ``values``/``values_list``, ``save`` (with
``update_fields`` for J) and ``delete``. Its schema generator creates every
table of the module at the first ``create_schema``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tortoise import Tortoise, fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from bench import workload as w
from bench.peers.base import Keep, Peer, Row, main


class Simple(Model):
    id = fields.IntField(primary_key=True)
    timestamp = fields.DatetimeField(auto_now_add=True)
    level = fields.SmallIntField(db_index=True)
    text = fields.CharField(max_length=255, db_index=True)

    class Meta:
        table = "bench_simple"


class Wide(Model):
    id = fields.IntField(primary_key=True)
    timestamp = fields.DatetimeField(auto_now_add=True)
    level = fields.SmallIntField(db_index=True)
    text = fields.CharField(max_length=255, db_index=True)

    col_float1 = fields.FloatField(default=w.WIDE_DEFAULTS["float"])
    col_smallint1 = fields.SmallIntField(default=w.WIDE_DEFAULTS["smallint"])
    col_int1 = fields.IntField(default=w.WIDE_DEFAULTS["int"])
    col_bigint1 = fields.BigIntField(default=w.WIDE_DEFAULTS["bigint"])
    col_char1 = fields.CharField(max_length=255, default=w.WIDE_DEFAULTS["char"])
    col_text1 = fields.TextField(default=w.WIDE_DEFAULTS["text"])
    col_decimal1 = fields.DecimalField(
        max_digits=12, decimal_places=8, default=w.WIDE_DEFAULTS["decimal"]
    )
    col_json1: Any = fields.JSONField(default=w.WIDE_DEFAULTS["json"])

    col_float2 = fields.FloatField(null=True)
    col_smallint2 = fields.SmallIntField(null=True)
    col_int2 = fields.IntField(null=True)
    col_bigint2 = fields.BigIntField(null=True)
    col_char2 = fields.CharField(max_length=255, null=True)
    col_text2 = fields.TextField(null=True)
    col_decimal2 = fields.DecimalField(max_digits=12, decimal_places=8, null=True)
    col_json2: Any = fields.JSONField(null=True)

    col_float3 = fields.FloatField(default=w.WIDE_DEFAULTS["float"])
    col_smallint3 = fields.SmallIntField(default=w.WIDE_DEFAULTS["smallint"])
    col_int3 = fields.IntField(default=w.WIDE_DEFAULTS["int"])
    col_bigint3 = fields.BigIntField(default=w.WIDE_DEFAULTS["bigint"])
    col_char3 = fields.CharField(max_length=255, default=w.WIDE_DEFAULTS["char"])
    col_text3 = fields.TextField(default=w.WIDE_DEFAULTS["text"])
    col_decimal3 = fields.DecimalField(
        max_digits=12, decimal_places=8, default=w.WIDE_DEFAULTS["decimal"]
    )
    col_json3: Any = fields.JSONField(default=w.WIDE_DEFAULTS["json"])

    col_float4 = fields.FloatField(null=True)
    col_smallint4 = fields.SmallIntField(null=True)
    col_int4 = fields.IntField(null=True)
    col_bigint4 = fields.BigIntField(null=True)
    col_char4 = fields.CharField(max_length=255, null=True)
    col_text4 = fields.TextField(null=True)
    col_decimal4 = fields.DecimalField(max_digits=12, decimal_places=8, null=True)
    col_json4: Any = fields.JSONField(null=True)

    class Meta:
        table = "bench_wide"


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)

    class Meta:
        table = "bench_tag"


class Related(Model):
    id = fields.IntField(primary_key=True)
    timestamp = fields.DatetimeField(auto_now_add=True)
    level = fields.SmallIntField(db_index=True)
    text = fields.CharField(max_length=255, db_index=True)
    parent: fields.ForeignKeyNullableRelation[Related] = fields.ForeignKeyField(
        "models.Related",
        related_name="children",
        null=True,
        on_delete=fields.CASCADE,
        db_index=True,
    )
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField(
        "models.Tag",
        related_name="related",
        through="bench_related_tag",
        backward_key="related_id",
        forward_key="tag_id",
        on_delete=fields.CASCADE,
    )
    children: fields.ReverseRelation[Related]

    class Meta:
        table = "bench_related"


MODELS: dict[str, Any] = {"simple": Simple, "wide": Wide, "related": Related}


def tortoise_config(url: str) -> dict[str, Any]:
    """A Tortoise config for a libpq URI whose host may be a unix-socket directory."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    credentials = {
        "host": query.get("host", parts.hostname or "localhost"),
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password or "",
        "database": parts.path.lstrip("/"),
        "minsize": w.WORKERS,
        "maxsize": w.WORKERS,
    }
    return {
        "connections": {
            "default": {"engine": "tortoise.backends.asyncpg", "credentials": credentials}
        },
        "apps": {"models": {"models": [__name__], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


class TortoisePeer(Peer):
    name = "tortoise"
    label = "Tortoise ORM"
    packages = ("tortoise-orm", "asyncpg")

    _schema_ready = False

    async def start(self, url: str) -> None:
        await Tortoise.init(config=tortoise_config(url))

    async def stop(self) -> None:
        await Tortoise.close_connections()

    async def create_schema(self, model: str) -> None:
        if not self._schema_ready:
            await Tortoise.generate_schemas(safe=True)
            self._schema_ready = True

    # -- inserts --------------------------------------------------------------------------------

    async def insert_single(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        for row in rows:
            await m.create(**row)

    async def insert_batch(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        async with in_transaction():
            for row in rows:
                await m.create(**row)

    async def insert_bulk(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        await m.bulk_create([m(**row) for row in rows])

    # -- reads ----------------------------------------------------------------------------------

    async def filter_large(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for level in levels:
            qs = m.filter(level=level)
            if model == "related":
                qs = qs.select_related("parent")
            keep(level, await qs)

    async def filter_small(self, model: str, pages: list[tuple[int, int]], keep: Keep) -> None:
        m = MODELS[model]
        for level, offset in pages:
            qs = m.filter(level=level).order_by("id").offset(offset).limit(w.PAGE)
            if model == "related":
                qs = qs.select_related("parent").prefetch_related("tags")
            keep((level, offset), await qs)

    async def get(self, model: str, ids: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for pk in ids:
            if model == "related":
                obj = (
                    await m.get(id=pk).select_related("parent").prefetch_related("tags", "children")
                )
            else:
                obj = await m.get(id=pk)
            keep(pk, obj)

    @staticmethod
    def _fields(model: str) -> list[str]:
        names = list(w.columns(model))
        return [*names, "parent__text"] if model == "related" else names

    async def filter_dicts(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        names = self._fields(model)
        for level in levels:
            keep(level, await m.filter(level=level).values(*names))

    async def filter_tuples(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        names = self._fields(model)
        for level in levels:
            keep(level, await m.filter(level=level).values_list(*names))

    # -- updates and deletes --------------------------------------------------------------------

    async def load(self, model: str, level: int) -> list[Any]:
        return list(await MODELS[model].filter(level=level).order_by("id"))

    async def update_whole(self, model: str, objs: list[Any]) -> None:
        async with in_transaction():
            for obj in objs:
                obj.level = w.LEVEL_I
                obj.text = obj.text + w.UPDATE_SUFFIX
                await obj.save()

    async def update_field(self, model: str, objs: list[Any]) -> None:
        async with in_transaction():
            for obj in objs:
                obj.level = w.LEVEL_J
                await obj.save(update_fields=["level"])

    async def delete(self, model: str, objs: list[Any]) -> None:
        async with in_transaction():
            for obj in objs:
                await obj.delete()


if __name__ == "__main__":
    main(TortoisePeer())
