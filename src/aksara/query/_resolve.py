"""Resolve ``field__transform__lookup`` keys against a model, once per model and key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara.exceptions import QueryError
from aksara.query.lookups import LOOKUPS, Lookup

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model


class Resolved:
    """A resolved filter key: the field, the transforms to apply to its column, the lookup."""

    __slots__ = ("field", "transforms", "lookup", "key")

    def __init__(self, key: str, field: Field[Any], transforms: list[Any], lookup: Lookup) -> None:
        self.key = key
        self.field = field
        self.transforms = transforms
        self.lookup = lookup

    @property
    def output_field(self) -> Field[Any]:
        return self.transforms[-1].output_field if self.transforms else self.field

    def column(self, table: sa.Table) -> sa.ColumnElement[Any]:
        column: sa.ColumnElement[Any] = table.c[self.field.attname]
        for transform in self.transforms:
            column = transform.apply(column)
        return column


def resolve(model: type[Model], key: str) -> Resolved:
    meta = model._meta
    cached = meta.resolved.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    parts = key.split("__")
    field = meta.get_field(parts[0])
    resolver = getattr(field, "resolve_path", None)
    if resolver is not None and len(parts) > 1:
        # Relations resolve their own paths (joins); they return a Resolved themselves.
        result: Resolved = resolver(key, parts[1:])
        meta.resolved[key] = result
        return result
    transforms: list[Any] = []
    current: Field[Any] = field
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
        lookup = current.get_lookup("exact") or LOOKUPS["exact"]
    resolved = Resolved(key, field, transforms, lookup)
    meta.resolved[key] = resolved
    return resolved


def order_column(model: type[Model], table: sa.Table, spec: str) -> sa.ColumnElement[Any]:
    """``"-created_at"`` → ``table.c.created_at.desc()``; ``"?"`` → random order."""
    if spec == "?":
        return sa.func.random()
    descending = spec.startswith("-")
    name = spec.lstrip("-+")
    if "__" in name:
        resolved = resolve(model, name)
        if not resolved.transforms or resolved.lookup.name != "exact":
            raise QueryError(f"{model.__name__}: cannot order by {spec!r}")
        column = resolved.column(table)
    else:
        column = table.c[model._meta.get_field(name).attname]
    return column.desc() if descending else column.asc()
