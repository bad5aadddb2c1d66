"""Piccolo, as its documentation recommends: ``Table`` classes, ``objects()`` and ``select()`` queries.

``save()`` (with ``columns=`` for J), ``DB.transaction()``, ``insert(*rows)`` for
bulk, ``objects(Table.fk)`` to load a foreign key by join, ``get_m2m`` and an M2M
select for the many-to-many, and ``output(load_json=True)`` so JSONB arrives
parsed as it does for every other peer. Piccolo has no tuple output; H turns
each row dict into a tuple, as its documentation's ``select`` examples suggest.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    JSONB,
    M2M,
    BigInt,
    DoublePrecision,
    ForeignKey,
    Integer,
    LazyTableReference,
    Numeric,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from bench import workload as w
from bench.peers.base import Keep, Peer, Row, main

D = w.WIDE_DEFAULTS


class Simple(Table, tablename="bench_simple"):
    timestamp = Timestamptz(default=TimestamptzNow())
    level = SmallInt(index=True)
    text = Varchar(length=255, index=True)


class Wide(Table, tablename="bench_wide"):
    timestamp = Timestamptz(default=TimestamptzNow())
    level = SmallInt(index=True)
    text = Varchar(length=255, index=True)

    col_float1 = DoublePrecision(default=D["float"])
    col_smallint1 = SmallInt(default=D["smallint"])
    col_int1 = Integer(default=D["int"])
    col_bigint1 = BigInt(default=D["bigint"])
    col_char1 = Varchar(length=255, default=D["char"])
    col_text1 = Text(default=D["text"])
    col_decimal1 = Numeric(digits=(12, 8), default=D["decimal"])
    col_json1 = JSONB(default=D["json"])

    col_float2 = DoublePrecision(null=True, default=None)
    col_smallint2 = SmallInt(null=True, default=None)
    col_int2 = Integer(null=True, default=None)
    col_bigint2 = BigInt(null=True, default=None)
    col_char2 = Varchar(length=255, null=True, default=None)
    col_text2 = Text(null=True, default=None)
    col_decimal2 = Numeric(digits=(12, 8), null=True, default=None)
    col_json2 = JSONB(null=True, default=None)

    col_float3 = DoublePrecision(default=D["float"])
    col_smallint3 = SmallInt(default=D["smallint"])
    col_int3 = Integer(default=D["int"])
    col_bigint3 = BigInt(default=D["bigint"])
    col_char3 = Varchar(length=255, default=D["char"])
    col_text3 = Text(default=D["text"])
    col_decimal3 = Numeric(digits=(12, 8), default=D["decimal"])
    col_json3 = JSONB(default=D["json"])

    col_float4 = DoublePrecision(null=True, default=None)
    col_smallint4 = SmallInt(null=True, default=None)
    col_int4 = Integer(null=True, default=None)
    col_bigint4 = BigInt(null=True, default=None)
    col_char4 = Varchar(length=255, null=True, default=None)
    col_text4 = Text(null=True, default=None)
    col_decimal4 = Numeric(digits=(12, 8), null=True, default=None)
    col_json4 = JSONB(null=True, default=None)


class Tag(Table, tablename="bench_tag"):
    name = Varchar(length=50)


class Related(Table, tablename="bench_related"):
    timestamp = Timestamptz(default=TimestamptzNow())
    level = SmallInt(index=True)
    text = Varchar(length=255, index=True)
    parent = ForeignKey(
        references="self",
        null=True,
        default=None,
        on_delete=OnDelete.cascade,
        index=True,
        db_column_name="parent_id",
    )
    tags = M2M(LazyTableReference("RelatedTag", module_path=__name__))


class RelatedTag(Table, tablename="bench_related_tag"):
    related = ForeignKey(
        Related, on_delete=OnDelete.cascade, index=True, null=False, db_column_name="related_id"
    )
    tag = ForeignKey(Tag, on_delete=OnDelete.cascade, null=False, db_column_name="tag_id")


MODELS: dict[str, Any] = {"simple": Simple, "wide": Wide, "related": Related}
ALL_TABLES = (Simple, Wide, Tag, Related, RelatedTag)


def _kwargs(model: str, row: Row) -> Row:
    if model == "related":
        return {"level": row["level"], "text": row["text"], "parent": row["parent_id"]}
    return row


class PiccoloPeer(Peer):
    name = "piccolo"
    label = "Piccolo"
    packages = ("piccolo", "asyncpg")

    db: PostgresEngine

    async def start(self, url: str) -> None:
        self.db = PostgresEngine(config={"dsn": url})
        for table in ALL_TABLES:
            table._meta.db = self.db
        await self.db.start_connection_pool(min_size=w.WORKERS, max_size=w.WORKERS)

    async def stop(self) -> None:
        await self.db.close_connection_pool()

    async def create_schema(self, model: str) -> None:
        tables = (Related, Tag, RelatedTag) if model == "related" else (MODELS[model],)
        for table in tables:
            await table.create_table(if_not_exists=True)

    # -- inserts --------------------------------------------------------------------------------

    async def insert_single(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        for row in rows:
            await m(**_kwargs(model, row)).save()

    async def insert_batch(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        async with self.db.transaction():
            for row in rows:
                await m(**_kwargs(model, row)).save()

    async def insert_bulk(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        # One INSERT carries at most 32,767 parameters (asyncpg's limit).
        per = 32767 // len(w.columns(model))
        for start in range(0, len(rows), per):
            await m.insert(*[m(**_kwargs(model, row)) for row in rows[start : start + per]])

    # -- reads ----------------------------------------------------------------------------------

    @staticmethod
    def _objects(model: str) -> Any:
        m = MODELS[model]
        if model == "related":
            return Related.objects(Related.parent)
        if model == "wide":
            return m.objects().output(load_json=True)
        return m.objects()

    @staticmethod
    async def _tags(ids: list[int]) -> dict[int, list[str]]:
        rows = await Related.select(Related.id, Related.tags(Tag.name, as_list=True)).where(
            Related.id.is_in(ids)
        )
        return {r["id"]: r["tags"] or [] for r in rows}

    async def filter_large(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for level in levels:
            keep(level, await self._objects(model).where(m.level == level))

    async def filter_small(self, model: str, pages: list[tuple[int, int]], keep: Keep) -> None:
        m = MODELS[model]
        for level, offset in pages:
            objs = (
                await self._objects(model)
                .where(m.level == level)
                .order_by(m.id)
                .limit(w.PAGE)
                .offset(offset)
            )
            if model == "related":
                tags = await self._tags([o.id for o in objs])
                keep((level, offset), [(o, tags.get(o.id, [])) for o in objs])
            else:
                keep((level, offset), objs)

    async def get(self, model: str, ids: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for pk in ids:
            obj = await self._objects(model).get(m.id == pk)
            if model == "related":
                tags = await obj.get_m2m(Related.tags)
                children = await Related.objects().where(Related.parent == pk)
                keep(pk, (obj, tags, children))
            else:
                keep(pk, obj)

    @staticmethod
    def _select(model: str) -> Any:
        m = MODELS[model]
        if model == "related":
            return Related.select(
                Related.id,
                Related.timestamp,
                Related.level,
                Related.text,
                Related.parent.as_alias("parent_id"),
                Related.parent.text.as_alias("parent__text"),
            )
        if model == "wide":
            return m.select().output(load_json=True)
        return m.select()

    async def filter_dicts(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for level in levels:
            keep(level, await self._select(model).where(m.level == level))

    async def filter_tuples(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for level in levels:
            rows = await self._select(model).where(m.level == level)
            keep(level, [tuple(row.values()) for row in rows])

    # -- updates and deletes --------------------------------------------------------------------

    async def load(self, model: str, level: int) -> list[Any]:
        m = MODELS[model]
        query = m.objects().where(m.level == level).order_by(m.id)
        if model == "wide":
            query = query.output(load_json=True)
        return list(await query)

    async def update_whole(self, model: str, objs: list[Any]) -> None:
        async with self.db.transaction():
            for obj in objs:
                obj.level = w.LEVEL_I
                obj.text = obj.text + w.UPDATE_SUFFIX
                await obj.save()

    async def update_field(self, model: str, objs: list[Any]) -> None:
        m = MODELS[model]
        async with self.db.transaction():
            for obj in objs:
                obj.level = w.LEVEL_J
                await obj.save(columns=[m.level])

    async def delete(self, model: str, objs: list[Any]) -> None:
        async with self.db.transaction():
            for obj in objs:
                await obj.remove()

    # -- verification ---------------------------------------------------------------------------

    def instance(self, model: str, op: str, obj: Any) -> Row:
        tags: list[Any] | None = None
        children: list[Any] | None = None
        if model == "related" and op == "E":
            obj, tags = obj
        elif model == "related" and op == "F":
            obj, tag_objs, child_objs = obj
            tags = sorted(t.name for t in tag_objs)
            children = sorted(c.id for c in child_objs)
        if model != "related":
            return {c: getattr(obj, c) for c in w.columns(model)}
        row = self._related_row(obj)
        p = obj.parent
        row["parent"] = None if p is None or p.id is None else self._related_row(p)
        if tags is not None:
            row["tags"] = sorted(tags)
        if children is not None:
            row["children"] = children
        return row

    @staticmethod
    def _related_row(obj: Any) -> Row:
        p = obj.parent
        parent_id = p.id if isinstance(p, Related) else p
        return {
            "id": obj.id,
            "timestamp": obj.timestamp,
            "level": obj.level,
            "text": obj.text,
            "parent_id": parent_id,
        }


if __name__ == "__main__":
    main(PiccoloPeer())
