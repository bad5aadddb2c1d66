"""``select_related`` and related columns (``values("author__email")``): LEFT JOINs along
single-valued relations (INNER JOINs where the foreign key cannot be NULL), one alias per path.

```
select_related("author")     SELECT post.*, user_1.* FROM post
                               JOIN "user" AS user_1 ON user_1.id = post.author_id
```

The related instances are built from the same row and kept in each instance's
``__dict__`` under the relation's ``cache_name``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from aksara._codegen import is_identifier, make_function
from aksara.exceptions import QueryError
from aksara.fields.relation_base import Relation
from aksara.fields.relations import ForeignKey
from aksara.query._compile import RowPlan, instance_statements
from aksara.query._plans import builder_for
from aksara.query._resolve import relation_named

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model

M = TypeVar("M", bound="Model")


def single_valued(model: type[Model], name: str, path: str) -> Relation:
    relation = relation_named(model, name)
    if relation.multi_valued:
        raise QueryError(
            f"{model.__name__}.{name} is multi-valued and cannot be joined in {path!r}; "
            f"use prefetch_related({path!r})"
        )
    return relation


def related_model(model: type[Model], path: str) -> type[Model]:
    """The model at the end of a ``select_related`` path (``author__team``)."""
    current = model
    for part in path.split("__"):
        current = single_valued(current, part, path).target()
    return current


def check_join_path(model: type[Model], path: str, *, columns: bool = True) -> None:
    """Check a ``select_related`` path (``author__team``) or, with ``columns``, a selected
    column (``author__email``, ``metadata__lang``, ``author__profile__lang``)."""
    if columns:
        column_path(model, path)
        return
    current = model
    for part in path.split("__"):
        current = single_valued(current, part, path).target()


def column_path(
    model: type[Model], name: str
) -> tuple[tuple[str, ...], Field[Any, Any], tuple[Any, ...]]:
    """What ``values(name)`` selects: the single-valued relations to join, the field whose
    column it is, and the transforms applied to that column, as ``filter()`` reads a key
    (``author__profile__lang``: join ``author``, its ``profile`` column, key ``lang``).

    After the field every part is a transform (a JSON key may be called ``contains``).
    """
    parts = name.split("__")
    current = model
    relations: list[str] = []
    while True:
        part = parts[len(relations)]
        field = current._meta.get_field(part)
        more = len(relations) + 1 < len(parts)
        if not (more and isinstance(field, Relation) and part == field.name):
            break
        relations.append(part)
        current = single_valued(current, part, "__".join(relations)).target()
    if not field.concrete:
        raise QueryError(f"{current.__name__}.{field.name} has no column to select in {name!r}")
    transforms: list[Any] = []
    output: Any = field
    for part in parts[len(relations) + 1 :]:
        transform = output.get_transform(part)
        if transform is None:
            raise QueryError(
                f"{current.__name__}.{field.name}: cannot resolve {part!r} in {name!r}"
            )
        transforms.append(transform)
        output = transform.output_field
    return tuple(relations), field, tuple(transforms)


class JoinLayout:
    """Where each ``select_related`` model's columns sit in a row, and whose relation it fills."""

    __slots__ = ("base_count", "entries", "paths", "names", "_hydrators")

    def __init__(self, base_count: int) -> None:
        self.base_count = base_count
        self._hydrators: dict[
            tuple[type[Model], tuple[str, ...], tuple[int, ...]], Callable[..., Any]
        ] = {}
        # (relation, model, start, stop, parent entry or -1 for the queried model, pk
        # position, the column names loaded)
        self.entries: list[tuple[Relation, type[Model], int, int, int, int, tuple[str, ...]]] = []
        self.paths: dict[tuple[str, ...], int] = {}
        self.names: list[str] = []

    def add(
        self,
        path: tuple[str, ...],
        relation: Relation,
        model: type[Model],
        start: int,
        attnames: tuple[str, ...],
    ) -> None:
        meta = model._meta
        self.paths[path] = len(self.entries)
        parent = self.paths.get(path[:-1], -1)
        stop = start + len(attnames)
        pk_index = attnames.index(meta.pk_attnames[0])
        self.entries.append((relation, model, start, stop, parent, pk_index, attnames))
        prefix = "__".join(path)
        self.names.extend(f"{prefix}__{a}" for a in attnames)

    def hydrate(self, model: type[M], records: Sequence[Any], rows: RowPlan) -> list[M]:
        """An instance per row, with its ``select_related`` instances in its relation caches."""
        key = (model, rows.names, rows.texts)
        function = self._hydrators.get(key)
        if function is None:
            function = self._hydrators[key] = self._hydrator(model, rows.names, rows.texts)
        # Without converters the record is sliced as it is (a Record slice is a tuple).
        return function(rows.tuples(records) if rows.procs else records)  # type: ignore[no-any-return]

    def _hydrator(
        self, model: type[Model], row_names: tuple[str, ...], texts: tuple[int, ...]
    ) -> Callable[..., Any]:
        """One loop generated for this layout: each row's instances built from its slices,
        each related one put in its owner's cache as an attribute (touching ``__dict__``
        would make CPython build a dict object for each instance), with no loop over the
        relations nor tuple unpacking per row. A related row whose key is NULL is None; the
        relations below it are not set."""
        meta = model._meta
        n = self.base_count
        names = row_names[:n]
        if names == meta.attnames:
            names = meta.attnames
        namespace: dict[str, Any] = {}
        lines = ["def hydrate(records):", "    result = []", "    append = result.append"]
        lines.append("    for v in records:")
        # Each row's own instance is built inline, the related ones by their builders.
        # JSON read as text (``texts``) is the queried model's own columns only.
        assert all(i < n for i in texts)
        inline = instance_statements(model, names, namespace, "o0", "t", texts)
        # Each slice is a constant of the namespace: ``v[:5]`` would make a slice object per row.
        namespace["s0"] = slice(n)
        if inline is not None:
            lines += ["        t = v[s0]", *(f"        {line}" for line in inline)]
        else:
            namespace["b0"] = builder_for(model, names, texts)
            lines.append("        o0 = b0(v[s0])")
        for i, (relation, rmodel, start, stop, parent, pk_index, attnames) in enumerate(
            self.entries, 1
        ):
            back = relation.remote
            # The related instance built inline too (``u`` its slice), or by its builder.
            made = instance_statements(rmodel, attnames, namespace, f"o{i}", "u")
            if made is None:
                namespace[f"b{i}"] = builder_for(rmodel, attnames)
                made = [f"o{i} = b{i}(u)"]
            namespace[f"k{i}"] = relation.cache_name
            namespace[f"s{i}"] = slice(start, stop)
            owner = f"o{parent + 1}"
            pad = "        "
            if parent >= 0:  # the owner is a related row itself, which may be missing
                lines += [f"{pad}if {owner} is None:", f"{pad}    o{i} = None", f"{pad}else:"]
                pad += "    "
            lines += [
                f"{pad}x = v[{start + pk_index}]",
                f"{pad}if x is None:",
                f"{pad}    o{i} = None",
            ]
            if back is not None and not back.multi_valued:
                # A one-to-one: each related row has one owner, which it points back to.
                namespace[f"r{i}"] = back.cache_name
                lines += [
                    f"{pad}else:",
                    f"{pad}    u = v[s{i}]",
                    *(f"{pad}    {line}" for line in made),
                    f"{pad}    {store_statement(f'o{i}', back.cache_name, f'r{i}', owner)}",
                ]
            else:
                # Rows that share a related row share its instance (as prefetch_related's
                # do): one instance per key and relation path in the result.
                lines[2:2] = [f"    seen{i} = {{}}"]
                lines += [
                    f"{pad}elif (o{i} := seen{i}.get(x)) is None:",
                    f"{pad}    u = v[s{i}]",
                    *(f"{pad}    {line}" for line in made),
                    f"{pad}    seen{i}[x] = o{i}",
                ]
            lines.append(pad + store_statement(owner, relation.cache_name, f"k{i}", f"o{i}"))
        lines += ["        append(o0)", "    return result"]
        source = "\n".join(lines) + "\n"
        return make_function(source, namespace, f"select_related rows of {model.__name__}")


def store_statement(target: str, cache: str, name: str, value: str) -> str:
    """The statement setting ``target``'s relation cache ``cache`` (in the namespace as
    ``name``): an attribute store, which CPython specialises, where the name allows it."""
    return (
        f"{target}.{cache} = {value}"
        if is_identifier(cache)
        else f"setattr({target}, {name}, {value})"
    )


class Joins:
    """The JOINs from a model's table along single-valued relations, one alias per path.

    A path of foreign keys that cannot be NULL is joined with INNER JOINs (every row has its
    related row); anything else with LEFT OUTER JOINs, and so is every step after one.
    """

    def __init__(self, model: type[Model], table: sa.Table) -> None:
        self.from_: Any = table
        self._paths: dict[tuple[str, ...], tuple[Any, type[Model], Relation | None]] = {
            (): (table, model, None)
        }
        self._outer: set[tuple[str, ...]] = set()

    def join(self, path: tuple[str, ...]) -> tuple[Any, type[Model], Relation | None]:
        found = self._paths.get(path)
        if found is not None:
            return found
        parent, parent_model, _ = self.join(path[:-1])
        relation = single_valued(parent_model, path[-1], "__".join(path))
        step = relation.step()
        target_table = step.target._meta.table
        assert target_table is not None
        alias = target_table.alias()
        on = alias.c[step.target_attname] == parent.c[step.source_attname]
        if self.is_outer(path[:-1]) or not _always_related(relation):
            self._outer.add(path)
            self.from_ = self.from_.outerjoin(alias, on)
        else:
            self.from_ = self.from_.join(alias, on)
        found = self._paths[path] = (alias, step.target, relation)
        return found

    def is_outer(self, path: tuple[str, ...]) -> bool:
        """True when the rows of ``path`` may be missing (the nullable side of an outer join)."""
        return path in self._outer

    def alias(self, path: tuple[str, ...]) -> Any:
        """The joined table of ``path`` (``()`` is the queried model's)."""
        return self.join(path)[0]

    def column(self, model: type[Model], name: str) -> Any:
        """The column ``values(name)`` selects (see ``column_path``), joined as it needs."""
        path, field, transforms = column_path(model, name)
        alias = self.join(path)[0]
        column = alias.c[field.attname]
        for transform in transforms:
            column = transform.apply(column)
        return column

    def select_related(
        self,
        names: Sequence[str],
        columns: list[Any],
        only: dict[str, tuple[str, ...]] | None = None,
    ) -> JoinLayout:
        """Join every model on the ``names`` paths and append their columns to ``columns``;
        ``only`` limits a path's to the named fields (its key and the keys of the paths
        joined through it are loaded too)."""
        only = only or {}
        layout = JoinLayout(len(columns))
        for name in names:
            parts = tuple(name.split("__"))
            for i in range(1, len(parts) + 1):
                path = parts[:i]
                if path in layout.paths:
                    continue
                alias, model, relation = self.join(path)
                assert relation is not None
                attnames = _loaded(model, "__".join(path), names, only)
                start = len(columns)
                columns.extend(alias.c[a] for a in attnames)
                layout.add(path, relation, model, start, attnames)
        return layout


def _loaded(
    model: type[Model], path: str, names: Sequence[str], only: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The columns loaded for the related ``model`` at ``path``."""
    meta = model._meta
    fields = only.get(path)
    if fields is None:
        return meta.attnames
    wanted = {*(f.name for f in meta.pk_fields), *fields}
    # The foreign keys that deeper select_related paths go through.
    prefix = path + "__"
    wanted.update(n[len(prefix) :].split("__")[0] for n in names if n.startswith(prefix))
    return tuple(f.attname for f in meta.concrete_fields if f.name in wanted)


def _always_related(relation: Relation) -> bool:
    """True for a forward foreign key that cannot be NULL: the related row always exists."""
    return isinstance(relation, ForeignKey) and not relation.nullable
