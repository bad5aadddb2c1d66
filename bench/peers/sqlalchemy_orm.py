"""SQLAlchemy ORM (async, asyncpg driver), written the usual way: declarative models and AsyncSession.

One session per unit of work (a row for A, a query for D-H, a worker's share
for B, C and I-K). Relationships use ``joinedload``/``selectinload``; the
many-to-many and reverse relationships are ``passive_deletes`` because the
database cascades. Note that the unit of work writes only changed columns and
flushes same-shaped UPDATEs and DELETEs as one executemany, so I-K are not one
round trip per row here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    aliased,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

from bench import workload as w
from bench.peers.base import Keep, Peer, Row, main
from bench.peers.sqlalchemy_core import KIND_TYPES


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Simple(Base):
    __tablename__ = "bench_simple"

    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    text: Mapped[str] = mapped_column(String(255), index=True)


def _wide_namespace() -> dict[str, Any]:
    """The wide model's class body: the four groups of eight columns written out."""
    ns: dict[str, Any] = {
        "__tablename__": "bench_wide",
        "id": mapped_column(Integer, primary_key=True),
        "timestamp": mapped_column(DateTime(timezone=True), nullable=False, default=_now),
        "level": mapped_column(SmallInteger, nullable=False, index=True),
        "text": mapped_column(String(255), nullable=False, index=True),
    }
    for g in w.WIDE_GROUPS:
        for kind in w.WIDE_KINDS:
            if g in w.WIDE_DEFAULT_GROUPS:
                col = mapped_column(
                    KIND_TYPES[kind](), nullable=False, default=w.WIDE_DEFAULTS[kind]
                )
            else:
                col = mapped_column(KIND_TYPES[kind](), nullable=True)
            ns[w.wide_column(kind, g)] = col
    return ns


Wide = type("Wide", (Base,), _wide_namespace())

related_tag = Table(
    "bench_related_tag",
    Base.metadata,
    Column(
        "related_id", Integer, ForeignKey("bench_related.id", ondelete="CASCADE"), nullable=False
    ),
    Column("tag_id", Integer, ForeignKey("bench_tag.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("related_id", "tag_id"),
)


class Tag(Base):
    __tablename__ = "bench_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Related(Base):
    __tablename__ = "bench_related"

    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    text: Mapped[str] = mapped_column(String(255), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("bench_related.id", ondelete="CASCADE"), index=True
    )

    parent: Mapped[Related | None] = relationship(
        back_populates="children", remote_side=[id], lazy="raise"
    )
    children: Mapped[list[Related]] = relationship(
        back_populates="parent", passive_deletes=True, lazy="raise"
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary=related_tag, passive_deletes=True, order_by=Tag.name, lazy="raise"
    )


MODELS: dict[str, Any] = {"simple": Simple, "wide": Wide, "related": Related}
Parent = aliased(Related)


def _columns(model: str) -> list[Any]:
    m = MODELS[model]
    return [getattr(m, c) for c in w.columns(model)]


class SQLAlchemyORMPeer(Peer):
    name = "sqlalchemy_orm"
    label = "SQLAlchemy ORM"
    packages = ("sqlalchemy", "asyncpg")

    engine: AsyncEngine
    session: async_sessionmaker[Any]

    async def start(self, url: str) -> None:
        self.engine = create_async_engine(
            url.replace("postgresql://", "postgresql+asyncpg://", 1),
            pool_size=w.WORKERS,
            max_overflow=0,
        )
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)

    async def stop(self) -> None:
        await self.engine.dispose()

    async def create_schema(self, model: str) -> None:
        tables = [MODELS[model].__table__]
        if model == "related":
            tables += [Tag.__table__, related_tag]
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all, tables=tables)

    # -- inserts --------------------------------------------------------------------------------

    async def insert_single(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        for row in rows:
            async with self.session() as session, session.begin():
                session.add(m(**row))

    async def insert_batch(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        async with self.session() as session, session.begin():
            for row in rows:
                session.add(m(**row))
                await session.flush()

    async def insert_bulk(self, model: str, rows: list[Row]) -> None:
        m = MODELS[model]
        async with self.session() as session, session.begin():
            session.add_all([m(**row) for row in rows])

    # -- reads ----------------------------------------------------------------------------------

    async def filter_large(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for level in levels:
            stmt = select(m).where(m.level == level)
            if model == "related":
                stmt = stmt.options(joinedload(Related.parent))
            async with self.session() as session:
                keep(level, (await session.scalars(stmt)).all())

    async def filter_small(self, model: str, pages: list[tuple[int, int]], keep: Keep) -> None:
        m = MODELS[model]
        for level, offset in pages:
            stmt = select(m).where(m.level == level).order_by(m.id).limit(w.PAGE).offset(offset)
            if model == "related":
                stmt = stmt.options(joinedload(Related.parent), selectinload(Related.tags))
            async with self.session() as session:
                keep((level, offset), (await session.scalars(stmt)).all())

    async def get(self, model: str, ids: list[int], keep: Keep) -> None:
        m = MODELS[model]
        options: list[Any] = []
        if model == "related":
            options = [
                joinedload(Related.parent),
                selectinload(Related.tags),
                selectinload(Related.children),
            ]
        for pk in ids:
            async with self.session() as session:
                keep(pk, await session.get(m, pk, options=options))

    def _values(self, model: str) -> Any:
        if model != "related":
            return select(*_columns(model))
        return select(*_columns(model), Parent.text.label("parent__text")).outerjoin(
            Parent, Related.parent
        )

    async def filter_dicts(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for level in levels:
            async with self.session() as session:
                result = await session.execute(self._values(model).where(m.level == level))
                keep(level, result.mappings().all())

    async def filter_tuples(self, model: str, levels: list[int], keep: Keep) -> None:
        m = MODELS[model]
        for level in levels:
            async with self.session() as session:
                result = await session.execute(self._values(model).where(m.level == level))
                keep(level, result.tuples().all())

    # -- updates and deletes --------------------------------------------------------------------

    async def load(self, model: str, level: int) -> list[Any]:
        m = MODELS[model]
        async with self.session() as session:
            return list(
                (await session.scalars(select(m).where(m.level == level).order_by(m.id))).all()
            )

    async def update_whole(self, model: str, objs: list[Any]) -> None:
        async with self.session() as session, session.begin():
            for obj in objs:
                session.add(obj)
                obj.level = w.LEVEL_I
                obj.text = obj.text + w.UPDATE_SUFFIX

    async def update_field(self, model: str, objs: list[Any]) -> None:
        async with self.session() as session, session.begin():
            for obj in objs:
                session.add(obj)
                obj.level = w.LEVEL_J

    async def delete(self, model: str, objs: list[Any]) -> None:
        async with self.session() as session, session.begin():
            for obj in objs:
                await session.delete(obj)


if __name__ == "__main__":
    main(SQLAlchemyORMPeer())
