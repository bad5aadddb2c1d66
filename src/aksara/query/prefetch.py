"""``prefetch_related``: one query per relation and level, matched to the instances in Python.

```
prefetch_related("author")   SELECT "user".* FROM "user" WHERE id = ANY($1)       the posts' author ids
prefetch_related("posts")    SELECT post.* FROM post WHERE author_id = ANY($1)    the users' ids
prefetch_related("tags")     SELECT j.post_id, tag.* FROM tag JOIN post_tags AS j ON j.tag_id = tag.id
                               WHERE j.post_id = ANY($1)                          the posts' ids
```

Loaded objects live in each instance's ``__dict__`` under the relation's ``cache_name``:
one instance (or None) for a single-valued relation, a list for a multi-valued one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara._codegen import make_function
from aksara.db import get_database
from aksara.fields.relation_base import Relation, Step
from aksara.query._compile import Plan, RowPlan, array_param
from aksara.query._json_text import as_text
from aksara.query._plans import builder_for, cached_plan, generated, instances
from aksara.query._resolve import order_column, relation_named
from aksara.query.joins import store_statement

if TYPE_CHECKING:
    from aksara.models.base import Model


def check_prefetch_path(model: type[Model], path: str) -> None:
    current = model
    for part in path.split("__"):
        current = relation_named(current, part).target()


async def prefetch_related_objects(
    instances: Iterable[Model | None], *lookups: str, refresh: bool = False
) -> None:
    """Load the relations named by ``lookups`` into ``instances`` (of one model) with one
    query per relation and level: ``await prefetch_related_objects(posts, "author", "tags")``.

    Relations already loaded are kept unless ``refresh``.
    """
    objs = [o for o in instances if o is not None]
    if not objs:
        return
    for lookup in lookups:
        await _prefetch(objs, lookup.split("__"), refresh)


async def _prefetch(objs: list[Model], parts: list[str], refresh: bool) -> None:
    relation = relation_named(type(objs[0]), parts[0])
    pending = objs if refresh else [o for o in objs if not relation.is_loaded(o)]
    if pending:
        await _load(relation, pending)
    if len(parts) == 1:
        return
    cache = relation.cache_name
    related: list[Model] = []
    seen: set[int] = set()
    for obj in objs:
        value: Any = getattr(obj, cache, None)
        items: Iterable[Any] = value if relation.multi_valued else (value,)
        for item in items:
            if item is not None and id(item) not in seen:
                seen.add(id(item))
                related.append(item)
    if related:
        await _prefetch(related, parts[1:], refresh)


async def _load(relation: Relation, objs: list[Model]) -> None:
    step = relation.step()
    source = step.source_attname
    keys = list(dict.fromkeys(k for o in objs if (k := getattr(o, source, None)) is not None))
    groups: dict[Any, list[Any]] = {}
    if keys:
        if step.junction is None:
            target_key = step.target_attname
            hide = relation.multi_valued and step.target._meta.soft_delete
            for row in await _related_rows(step, keys, hide):
                groups.setdefault(getattr(row, target_key), []).append(row)
        else:
            hide = relation.multi_valued and step.target._meta.soft_delete
            for key, row in await _junction_rows(step, keys, hide):
                groups.setdefault(key, []).append(row)
    fill_caches(objs, [groups.get(getattr(o, source, None), ()) for o in objs], relation)


def fill_caches(objs: list[Model], found: list[Any], relation: Relation) -> None:
    """Put each instance's related objects (``found``, in ``objs`` order) in its relation
    cache, and each related object's owner in its cache of a single-valued way back."""
    cache_filler(relation)(objs, found)


def cache_filler(
    relation: Relation, build: Callable[..., Any] | None = None, rows: RowPlan | None = None
) -> Callable[[list[Model], list[Any]], None]:
    """``fill(objs, found)``: what ``fill_caches`` does for ``relation``, generated once per
    relation, its way back and ``build``: one loop storing each cache as an attribute
    (touching an instance's ``__dict__`` would make CPython build one for it, and a store
    CPython specialises is quicker than ``setattr``).

    With ``build``, ``found`` holds rows (of ``rows``, converted first when it has
    converters) that ``build`` makes the related instances of; otherwise, the instances."""
    back = relation.remote if relation.step().junction is None else None
    back_cache = back.cache_name if back is not None and not back.multi_valued else None
    key = ("fill caches", relation.cache_name, relation.multi_valued, back_cache, build, rows)
    model = relation.model
    return generated(model, key, lambda m, k: _make_filler(relation, back_cache, build, rows))  # type: ignore[no-any-return]


def _make_filler(
    relation: Relation,
    back_cache: str | None,
    build: Callable[..., Any] | None,
    rows: RowPlan | None,
) -> Callable[[list[Model], list[Any]], None]:
    cache = relation.cache_name
    convert = rows.tuples if rows is not None and rows.procs else None
    namespace: dict[str, Any] = {"build": build, "convert": convert, "k": cache, "b": back_cache}
    lines = ["def fill(objs, found):", "    for obj, items in zip(objs, found, strict=True):"]
    if relation.multi_valued:
        if build is not None:
            made = "convert(items)" if convert is not None else "items"
            lines.append(f"        items = list(map(build, {made})) if items else []")
        else:
            lines.append("        items = list(items)")  # a list of its own for each
        lines.append("        " + store_statement("obj", cache, "k", "items"))
        if back_cache is not None:
            lines.append("        for item in items:")
            lines.append("            " + store_statement("item", back_cache, "b", "obj"))
    else:
        if build is None:
            first = "items[0]"
        else:  # the first row only, converted first when it has converters
            first = "build(items[0])" if convert is None else "build(convert(items[:1])[0])"
        lines.append(f"        value = {first} if items else None")
        lines.append("        " + store_statement("obj", cache, "k", "value"))
        if back_cache is not None:
            lines.append("        if value is not None:")
            lines.append("            " + store_statement("value", back_cache, "b", "obj"))
    source = "\n".join(lines) + "\n"
    return make_function(source, namespace, f"caches of {relation.name}")


def _related_select(step: Step, hide: bool) -> tuple[Plan, RowPlan]:
    """``SELECT target.* FROM target WHERE <target column> = ANY($1)`` in the target's order
    (and ``AND deleted_at IS NULL`` with ``hide``: a multi-valued relation to a model with
    ``Meta.soft_delete`` leaves deleted rows out, as its related manager does)."""
    target = step.target

    def build() -> tuple[Plan, RowPlan]:
        tmeta = target._meta
        table = tmeta.table
        assert table is not None
        key = table.c[step.target_attname]
        # JSON read as text: the builders keep the text as the snapshot (see _json_text).
        columns = as_text(tmeta, [table.c[a] for a in tmeta.attnames], tmeta.attnames)
        stmt = sa.select(*columns).where(key == sa.any_(array_param(0, key.type)))
        if hide:
            stmt = stmt.where(table.c["deleted_at"].is_(None))
        if tmeta.ordering:
            stmt = stmt.order_by(*(order_column(target, table, o) for o in tmeta.ordering))
        return Plan(stmt), RowPlan(tmeta.attnames, [c.type for c in columns])

    return cached_plan(target, ("prefetch", step.target_attname, hide), build)  # type: ignore[no-any-return]


async def _related_rows(step: Step, keys: list[Any], hide: bool) -> list[Model]:
    plan, rows = _related_select(step, hide)
    records = await get_database().fetch(plan.sql, plan.args([keys]))
    return instances(step.target, records, rows, None)


def _junction_select(step: Step, hide: bool) -> tuple[Plan, RowPlan]:
    target = step.target
    junction = step.junction
    assert junction is not None

    def build() -> tuple[Plan, RowPlan]:
        tmeta = target._meta
        table = tmeta.table
        assert table is not None and junction is not None
        owner = junction.c[step.junction_source]
        columns = [owner, *(table.c[a] for a in tmeta.attnames)]
        columns = as_text(tmeta, columns, tmeta.attnames, start=1)
        link = junction.c[step.junction_target] == table.c[step.target_attname]
        stmt = (
            sa.select(*columns)
            .select_from(table.join(junction, link))
            .where(owner == sa.any_(array_param(0, owner.type)))
        )
        if hide:
            stmt = stmt.where(table.c["deleted_at"].is_(None))
        if tmeta.ordering:
            stmt = stmt.order_by(*(order_column(target, table, o) for o in tmeta.ordering))
        return Plan(stmt), RowPlan(("", *tmeta.attnames), [c.type for c in columns])

    key = ("prefetch_junction", junction.name, step.junction_source, hide)
    return cached_plan(target, key, build)  # type: ignore[no-any-return]


async def _junction_rows(step: Step, keys: list[Any], hide: bool) -> list[tuple[Any, Model]]:
    plan, rows = _junction_select(step, hide)
    records = await get_database().fetch(plan.sql, plan.args([keys]))
    texts = tuple(i - 1 for i in rows.texts)  # after the owner's key
    build = builder_for(step.target, step.target._meta.attnames, texts)
    out: list[tuple[Any, Model]] = []
    for record in records:
        values = rows.values(record)
        out.append((values[0], build(values[1:])))
    return out
