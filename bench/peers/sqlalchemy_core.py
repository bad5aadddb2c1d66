"""SQLAlchemy Core (async, asyncpg driver), written the usual way.

Statements are built per call with ``select()``/``insert()``/``update()``/``delete()``,
each unit of work opens ``async with engine.connect()`` or ``engine.begin()``,
and rows come back as ``Row`` (D-F), ``RowMapping`` (G) and ``Row`` tuples (H).
Many-to-many tags and children are fetched with one more statement each.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import workload as w
from bench.peers.base import Keep, Peer, Row, main

metadata = MetaData()


def _now() -> datetime:
    return datetime.now(UTC)


def _base_columns() -> list[Column[Any]]:
    return [
        Column("id", Integer, primary_key=True),
        Column("timestamp", DateTime(timezone=True), nullable=False, default=_now),
        Column("level", SmallInteger, nullable=False, index=True),
        Column("text", String(255), nullable=False, index=True),
    ]


#: The wide model's column types by kind (the SQLAlchemy ORM peer uses them too).
KIND_TYPES: dict[str, Any] = {
    "float": Double,
    "smallint": SmallInteger,
    "int": Integer,
    "bigint": BigInteger,
    "char": lambda: String(255),
    "text": Text,
    "decimal": lambda: Numeric(12, 8),
    "json": JSONB,
}


def _wide_columns() -> list[Column[Any]]:
    out: list[Column[Any]] = []
    for g in w.WIDE_GROUPS:
        for kind in w.WIDE_KINDS:
            if g in w.WIDE_DEFAULT_GROUPS:
                out.append(
                    Column(
                        w.wide_column(kind, g),
                        KIND_TYPES[kind](),
                        nullable=False,
                        default=w.WIDE_DEFAULTS[kind],
                    )
                )
            else:
                out.append(Column(w.wide_column(kind, g), KIND_TYPES[kind](), nullable=True))
    return out


simple = Table("bench_simple", metadata, *_base_columns())
wide = Table("bench_wide", metadata, *_base_columns(), *_wide_columns())
related = Table(
    "bench_related",
    metadata,
    *_base_columns(),
    Column(
        "parent_id",
        Integer,
        ForeignKey("bench_related.id", ondelete="CASCADE"),
        nullable=True,
        index=True,
    ),
)
tag = Table(
    "bench_tag",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
)
link = Table(
    "bench_related_tag",
    metadata,
    Column(
        "related_id", Integer, ForeignKey("bench_related.id", ondelete="CASCADE"), nullable=False
    ),
    Column("tag_id", Integer, ForeignKey("bench_tag.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("related_id", "tag_id"),
)
TABLES = {"simple": simple, "wide": wide, "related": related}
parent = related.alias("parent")


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


class SQLAlchemyCorePeer(Peer):
    name = "sqlalchemy_core"
    label = "SQLAlchemy Core"
    packages = ("sqlalchemy", "asyncpg")

    engine: AsyncEngine

    async def start(self, url: str) -> None:
        self.engine = create_async_engine(sqlalchemy_url(url), pool_size=w.WORKERS, max_overflow=0)

    async def stop(self) -> None:
        await self.engine.dispose()

    async def create_schema(self, model: str) -> None:
        tables = [TABLES[model]] + ([tag, link] if model == "related" else [])
        async with self.engine.begin() as conn:
            await conn.run_sync(metadata.create_all, tables=tables)

    # -- inserts --------------------------------------------------------------------------------

    async def insert_single(self, model: str, rows: list[Row]) -> None:
        t = TABLES[model]
        for row in rows:
            async with self.engine.begin() as conn:
                await conn.execute(insert(t).values(**row))

    async def insert_batch(self, model: str, rows: list[Row]) -> None:
        t = TABLES[model]
        async with self.engine.begin() as conn:
            for row in rows:
                await conn.execute(insert(t).values(**row))

    async def insert_bulk(self, model: str, rows: list[Row]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(TABLES[model]), rows)

    # -- reads ----------------------------------------------------------------------------------

    @staticmethod
    def _instances(model: str) -> Any:
        t = TABLES[model]
        if model != "related":
            return select(t)
        parent_cols = [c.label(f"parent__{c.name}") for c in parent.c]
        return select(t, *parent_cols).select_from(
            t.outerjoin(parent, parent.c.id == t.c.parent_id)
        )

    @staticmethod
    async def _tags(conn: Any, ids: list[int]) -> dict[int, list[str]]:
        stmt = (
            select(link.c.related_id, tag.c.name)
            .join(tag, tag.c.id == link.c.tag_id)
            .where(link.c.related_id.in_(ids))
            .order_by(tag.c.name)
        )
        out: dict[int, list[str]] = defaultdict(list)
        for related_id, name in await conn.execute(stmt):
            out[related_id].append(name)
        return out

    async def filter_large(self, model: str, levels: list[int], keep: Keep) -> None:
        t = TABLES[model]
        for level in levels:
            async with self.engine.connect() as conn:
                result = await conn.execute(self._instances(model).where(t.c.level == level))
                keep(level, result.all())

    async def filter_small(self, model: str, pages: list[tuple[int, int]], keep: Keep) -> None:
        t = TABLES[model]
        for level, offset in pages:
            stmt = (
                self._instances(model)
                .where(t.c.level == level)
                .order_by(t.c.id)
                .limit(w.PAGE)
                .offset(offset)
            )
            async with self.engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
                if model == "related":
                    tags = await self._tags(conn, [r.id for r in rows])
                    keep((level, offset), [(r, tags[r.id]) for r in rows])
                else:
                    keep((level, offset), rows)

    async def get(self, model: str, ids: list[int], keep: Keep) -> None:
        t = TABLES[model]
        for pk in ids:
            async with self.engine.connect() as conn:
                row = (await conn.execute(self._instances(model).where(t.c.id == pk))).one()
                if model == "related":
                    tags = await self._tags(conn, [pk])
                    children = (
                        await conn.execute(
                            select(t.c.id).where(t.c.parent_id == pk).order_by(t.c.id)
                        )
                    ).scalars()
                    keep(pk, (row, tags[pk], list(children)))
                else:
                    keep(pk, row)

    @staticmethod
    def _values(model: str) -> Any:
        t = TABLES[model]
        if model != "related":
            return select(t)
        return select(t, parent.c.text.label("parent__text")).select_from(
            t.outerjoin(parent, parent.c.id == t.c.parent_id)
        )

    async def filter_dicts(self, model: str, levels: list[int], keep: Keep) -> None:
        t = TABLES[model]
        for level in levels:
            async with self.engine.connect() as conn:
                result = await conn.execute(self._values(model).where(t.c.level == level))
                keep(level, result.mappings().all())

    async def filter_tuples(self, model: str, levels: list[int], keep: Keep) -> None:
        t = TABLES[model]
        for level in levels:
            async with self.engine.connect() as conn:
                result = await conn.execute(self._values(model).where(t.c.level == level))
                keep(level, result.tuples().all())

    # -- updates and deletes --------------------------------------------------------------------

    async def load(self, model: str, level: int) -> list[Any]:
        t = TABLES[model]
        async with self.engine.connect() as conn:
            return list(
                (await conn.execute(select(t).where(t.c.level == level).order_by(t.c.id))).all()
            )

    async def update_whole(self, model: str, objs: list[Any]) -> None:
        t = TABLES[model]
        async with self.engine.begin() as conn:
            for row in objs:
                values = row._asdict()
                del values["id"]
                values["level"] = w.LEVEL_I
                values["text"] = row.text + w.UPDATE_SUFFIX
                await conn.execute(update(t).where(t.c.id == row.id).values(**values))

    async def update_field(self, model: str, objs: list[Any]) -> None:
        t = TABLES[model]
        async with self.engine.begin() as conn:
            for row in objs:
                await conn.execute(update(t).where(t.c.id == row.id).values(level=w.LEVEL_J))

    async def delete(self, model: str, objs: list[Any]) -> None:
        t = TABLES[model]
        async with self.engine.begin() as conn:
            for row in objs:
                await conn.execute(delete(t).where(t.c.id == row.id))

    # -- verification ---------------------------------------------------------------------------

    def instance(self, model: str, op: str, obj: Any) -> Row:
        if model != "related":
            return obj._asdict()  # type: ignore[no-any-return]
        tags: list[str] | None = None
        children: list[int] | None = None
        if op == "E":
            obj, tags = obj
        elif op == "F":
            obj, tags, children = obj
        m = obj._mapping
        row = {c: m[c] for c in w.columns(model)}
        p = {c: m[f"parent__{c}"] for c in w.columns(model)}
        row["parent"] = None if p["id"] is None else p
        if tags is not None:
            row["tags"] = tags
        if children is not None:
            row["children"] = children
        return row


if __name__ == "__main__":
    main(SQLAlchemyCorePeer())
