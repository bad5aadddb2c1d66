"""Resolve ``field__transform__lookup`` keys against a model, once per model and key.

A key either names a column of the model (``Resolved``: field, transforms, lookup) or
crosses a relation (``Hop``: the rest of the key applies to the related model). The
conditions of one ``filter()`` that cross the same relation become one
``EXISTS (SELECT 1 FROM related ... WHERE <their conditions>)``, so they constrain the
same related row, as in Django, and a multi-valued relation never duplicates rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from aksara.exceptions import FieldError, QueryError
from aksara.fields.relation_base import Relation
from aksara.fields.relations import ForeignKey
from aksara.query._keys import key_tuple
from aksara.query.expressions import CombinedExpression, F, OuterRef, Q
from aksara.query.lookups import LOOKUPS, Lookup
from aksara.registry import ModelRoot

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.fields.relation_base import Step
    from aksara.models.base import Model


class Resolved:
    """A resolved filter key: the field, the transforms to apply to its column, the lookup."""

    __slots__ = ("field", "transforms", "lookup", "key")

    def __init__(
        self, key: str, field: Field[Any, Any], transforms: list[Any], lookup: Lookup
    ) -> None:
        self.key = key
        self.field = field
        self.transforms = transforms
        self.lookup = lookup

    @property
    def output_field(self) -> Any:  # a Field; typed so that mypy does not apply Field.__get__
        return self.transforms[-1].output_field if self.transforms else self.field

    def column(self, table: Any) -> sa.ColumnElement[Any]:
        field = self.field
        if field.concrete:
            column: sa.ColumnElement[Any] = table.c[field.attname]
        else:
            column = key_tuple(field.model._meta, table)  # a composite key
        for transform in self.transforms:
            column = transform.apply(column)
        return column


class Hop:
    """A filter key that crosses ``relation``: ``rest`` is a key on the related model, or
    None for ``<relation>__isnull`` (whether any related row exists)."""

    __slots__ = ("key", "relation", "rest", "by_pk")

    def __init__(self, key: str, relation: Relation, rest: str | None) -> None:
        self.key = key
        self.relation = relation
        self.rest = rest
        target = relation.target()
        self.by_pk = rest is not None and rest.split("__", 1)[0] in ("pk", target._meta.pk.name)

    @property
    def step(self) -> Step:
        return self.relation.step()

    def __repr__(self) -> str:
        return f"<Hop {self.key!r} via {self.relation!r}>"


def resolve(model: type[Model], key: str) -> Resolved | Hop:
    meta = model._meta
    resolved_keys = meta.resolved
    cached = resolved_keys.get(key)
    if cached is not None:
        resolved_keys.move_to_end(key)
        return cached  # type: ignore[no-any-return]
    parts = key.split("__")
    field = meta.get_field(parts[0])
    if (
        isinstance(field, Relation)
        and parts[0] == field.name
        and (len(parts) > 1 or not field.concrete)
    ):
        # Through a relation: a column of this model (Resolved) or a Hop to the related one.
        result = relation_path(field, key, parts[1:])
        meta.resolved.put(key, result)
        return result
    transforms: list[Any] = []
    current: Field[Any, Any] = field
    rest = parts[1:]
    lookup: Lookup | None = None
    for i, part in enumerate(rest):
        last = i == len(rest) - 1
        if last:
            lookup = current.get_lookup(part)
            if lookup is not None:
                break
        transform = current.get_transform(part)
        if transform is None:
            if last:
                raise QueryError(
                    f"{meta.model_name}.{field.name}: unsupported lookup or transform {part!r} "
                    f"in {key!r}"
                )
            raise QueryError(f"{meta.model_name}.{field.name}: cannot resolve {part!r} in {key!r}")
        transforms.append(transform)
        current = transform.output_field
    if lookup is None:
        exact: Lookup = current.get_lookup("exact") or LOOKUPS["exact"]
        lookup = exact
    resolved = Resolved(key, field, transforms, lookup)
    meta.resolved.put(key, resolved)
    return resolved


def relation_path(relation: Relation, key: str, rest: list[str]) -> Resolved | Hop:
    """A filter key that starts with ``relation``'s name; ``rest`` is what follows it."""
    if isinstance(relation, ForeignKey):
        return _foreign_key_path(cast("ForeignKey[Any, Any]", relation), key, rest)
    target = relation.target()
    tmeta = target._meta
    if not rest:
        return Hop(key, relation, "pk")
    first = rest[0]
    if (
        len(rest) == 1
        and first != "pk"
        and first not in tmeta.fields
        and first not in tmeta.reverse
    ):
        if first == "isnull":
            return Hop(key, relation, None)
        if tmeta.pk.get_lookup(first) is not None:
            return Hop(key, relation, f"pk__{first}")
    tmeta.get_field(first)
    return Hop(key, relation, "__".join(rest))


def _foreign_key_path(field: ForeignKey[Any, Any], key: str, rest: list[str]) -> Resolved | Hop:
    """``author__email`` crosses the relation; ``author__in``, ``author__isnull`` and
    ``author__id`` compare the column itself."""
    tmeta = field.target()._meta
    first = rest[0]
    if first in ("pk", tmeta.pk.name) and len(rest) <= 2:
        lookup = field.get_lookup(rest[1] if len(rest) == 2 else "exact")
        if lookup is not None:
            return Resolved(key, field, [], lookup)
    if len(rest) == 1 and first not in tmeta.fields and first not in tmeta.reverse:
        lookup = field.get_lookup(first)
        if lookup is not None:
            return Resolved(key, field, [], lookup)
    tmeta.get_field(first)
    return Hop(key, field, "__".join(rest))


def relation_named(model: type[Model], name: str) -> Relation:
    """The relation ``name`` of ``model``: a declared field or a reverse accessor/query name."""
    meta = model._meta
    found: Any = meta.fields.get(name) or meta.reverse.get(name)
    if found is None:
        found = next((r for r in meta.reverse.values() if r.accessor == name), None)
    if found is None:
        names = sorted(
            {n for n, f in meta.fields.items() if isinstance(f, Relation)}
            | {r.accessor for r in meta.reverse.values() if r.accessor}
        )
        raise QueryError(
            f"{model.__name__} has no relation {name!r}. Choices are: {', '.join(names) or '(none)'}"
        )
    if not isinstance(found, Relation):
        raise QueryError(f"{model.__name__}.{name} is not a relation")
    return found


# -- conditions across relations -----------------------------------------------------------


class RelatedCondition:
    """The conditions of one AND node that cross the same relation, as a condition tree
    ``q`` on the related model: they become one ``EXISTS`` subquery."""

    __slots__ = ("hop", "q")

    def __init__(self, hop: Hop) -> None:
        self.hop = hop
        self.q = Q()

    @property
    def target(self) -> type[Model]:
        return self.hop.relation.target()

    def pk_only(self) -> bool:
        """True when every condition is on the related primary key: a junction table's column
        answers it without joining the related table."""
        target = self.target
        pk = target._meta.pk
        for key, _ in self.q.children:
            resolved = resolve(target, key)
            if (
                not isinstance(resolved, Resolved)
                or resolved.field is not pk
                or resolved.transforms
            ):
                return False
        return True


class Condition:
    """A child of a ``Q`` that is a condition of its own: ``Exists(...)``, a SQLAlchemy
    boolean expression."""

    __slots__ = ("expression",)

    def __init__(self, expression: Any) -> None:
        self.expression = expression


def plan_conditions(model: type[Model], q: Q) -> list[Any]:
    """The children of ``q`` in evaluation order: nested ``Q``s, ``(key, value, resolved)``
    and ``RelatedCondition``s (in an AND node, one per relation, where its first key was)."""
    items: list[Any] = []
    groups: dict[int, RelatedCondition] | None = None
    for child in q.children:
        if isinstance(child, Q):
            items.append(child)
            continue
        if type(child) is not tuple:
            items.append(Condition(child))
            continue
        key, value = cast("tuple[str, Any]", child)
        resolved = resolve(model, key)
        if type(resolved) is not Hop:
            items.append((key, value, resolved))
            continue
        if isinstance(value, (F, CombinedExpression, OuterRef)):
            raise QueryError(
                f"{key}: F() expressions cannot be compared across a relation (nor OuterRef())"
            )
        if resolved.rest is None:
            if not isinstance(value, bool):
                raise QueryError(f"{key}: isnull lookup needs True or False")
            items.append((key, value, resolved))
            continue
        if resolved.by_pk and not getattr(value, "is_queryset", False):
            value = pk_values(resolved.relation.target(), value, key)
        group = None
        if q.connector == Q.AND:
            if groups is None:
                groups = {}
            group = groups.get(id(resolved.relation))
        if group is None:
            group = RelatedCondition(resolved)
            items.append(group)
            if groups is not None:
                groups[id(resolved.relation)] = group
        group.q.children.append((resolved.rest, value))
    return items


def pk_values(target: type[Model], value: Any, key: str) -> Any:
    """Model instances in a filter on a related primary key stand for their keys."""

    def one(item: Any) -> Any:
        if isinstance(item, ModelRoot):
            if not isinstance(item, target):
                raise QueryError(
                    f"{key}: expected a {target.__name__} or its primary key, "
                    f"got a {type(item).__name__}"
                )
            return item.pk
        return item

    if isinstance(value, (list, tuple, set, frozenset)):
        return [one(v) for v in cast("Iterable[Any]", value)]
    return one(value)


class _Columns:
    """Stands in for the related table when a junction column holds its primary key."""

    __slots__ = ("c",)

    def __init__(self, columns: dict[str, Any]) -> None:
        self.c = columns


_ONE: sa.ColumnClause[Any] = sa.literal_column("1")


def exists_condition(
    step: Step,
    outer: Any,
    build: Callable[[Any], Any] | None,
    pk_only: bool = False,
) -> sa.ColumnElement[bool]:
    """``EXISTS`` a row related to ``outer``'s row through ``step`` for which ``build(table)``
    holds (any related row when ``build`` is None)."""
    target_table = step.target._meta.table
    assert target_table is not None
    inner: Any
    if step.junction is None:
        inner = target_table.alias()
        stmt = (
            sa.select(_ONE)
            .select_from(inner)
            .where(inner.c[step.target_attname] == outer.c[step.source_attname])
        )
    else:
        junction = step.junction.alias()
        link = junction.c[step.junction_source] == outer.c[step.source_attname]
        if build is None or pk_only:
            inner = _Columns({step.target_attname: junction.c[step.junction_target]})
            stmt = sa.select(_ONE).select_from(junction).where(link)
        else:
            inner = target_table.alias()
            joined = junction.join(
                inner, inner.c[step.target_attname] == junction.c[step.junction_target]
            )
            stmt = sa.select(_ONE).select_from(joined).where(link)
    if build is not None:
        stmt = stmt.where(build(inner))
    return stmt.correlate(outer).exists()


def related_order_column(hop: Hop, outer: Any) -> sa.ColumnElement[Any]:
    """``order_by("author__name")``: the related row's value as a correlated scalar subquery."""
    relation = hop.relation
    if hop.rest is None or relation.multi_valued:
        raise QueryError(f"Cannot order by {hop.key!r}: {relation.name} is multi-valued")
    step = relation.step()
    target_table = step.target._meta.table
    assert target_table is not None
    inner_table = target_table.alias()
    inner = resolve(step.target, hop.rest)
    if isinstance(inner, Hop):
        column = related_order_column(inner, inner_table)
    else:
        if inner.lookup.name != "exact" or hop.rest.endswith("__exact"):
            raise QueryError(f"Cannot order by {hop.key!r}")
        column = inner.column(inner_table)
    return (
        sa.select(column)
        .where(inner_table.c[step.target_attname] == outer.c[step.source_attname])
        .correlate(outer)
        .scalar_subquery()
    )


def order_column(model: type[Model], table: Any, spec: str) -> sa.ColumnElement[Any]:
    """``"-created_at"`` → ``table.c.created_at.desc()``; ``"?"`` → random order."""
    if spec == "?":
        return sa.func.random()
    descending = spec.startswith("-")
    name = spec.lstrip("-+")
    if name == "pk":
        column = key_tuple(model._meta, table)
        return column.desc() if descending else column.asc()
    if "__" not in name and not model._meta.get_field(name).concrete:
        raise QueryError(f"{model.__name__}: cannot order by {spec!r}, it has no column")
    try:
        column = path_column(model, table, name)
    except FieldError:
        raise
    except QueryError as error:
        raise QueryError(f"{model.__name__}: cannot order by {spec!r} ({error})") from None
    return column.desc() if descending else column.asc()


def path_column(model: type[Model], table: Any, name: str) -> sa.ColumnElement[Any]:
    """The value ``name`` reads for each row: a column, a transform of one
    (``data__address__city``, ``created__year``), or a single-valued relation's column
    (``author__name``, a correlated scalar subquery)."""
    if "__" not in name:
        field = model._meta.get_field(name)
        if field is model._meta.pk:
            return key_tuple(model._meta, table)
        if not field.concrete:
            raise QueryError(f"{model._meta.model_name}.{name} has no column")
        return table.c[field.attname]  # type: ignore[no-any-return]
    resolved = resolve(model, name)
    if isinstance(resolved, Hop):
        return related_order_column(resolved, table)
    # A transform (JSON key, ...) or a relation's own column (author__id); no lookup.
    if resolved.lookup.name != "exact" or name.endswith("__exact"):
        raise QueryError(f"{name!r} ends in a lookup, not a value")
    return resolved.column(table)


def path_field(model: type[Model], name: str) -> Any:
    """The field whose values ``path_column(model, table, name)`` reads."""
    if "__" not in name:
        return model._meta.get_field(name)
    resolved = resolve(model, name)
    if isinstance(resolved, Hop):
        if resolved.rest is None or resolved.relation.multi_valued:
            raise QueryError(f"{name!r}: {resolved.relation.name} is multi-valued")
        return path_field(resolved.relation.step().target, resolved.rest)
    return resolved.output_field
