"""``AgentToolkit``: runs the exported tools against the database on an agent's behalf.

Every argument is treated as hostile. Before any query:

```
tool name            one of the toolkit's tools                       else PermissionDenied
argument keys        the tool's own (filters, limit, data, ...)        else ValidationError
filter keys          visible fields, one hop into exposed models      else PermissionDenied
operators            the allow-list of the field's family             else ValidationError
write data keys      visible and agent-writable fields                else PermissionDenied
values               the field's own conversion and save() checks     else ValidationError
page sizes           1..max_page_size, offset 0..10,000              else ValidationError
```

Reads select only visible columns, so sensitive values never leave the database. Error
messages never name hidden fields or quote database details (a database error is retold,
with the original as its ``__cause__`` for the server's logs).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

from typing_extensions import TypeIs

from aksara.ai.policy import (
    ARRAY_LOOKUPS,
    METRICS,
    TEXT_PATTERN_LOOKUPS,
    ModelPolicy,
    default_metric,
    is_sensitive,
    unique_models,
)
from aksara.ai.schema import from_json, to_json
from aksara.ai.tool_definitions import (
    ACTIONS,
    DEFAULT_PAGE_SIZE,
    MAX_IN_VALUES,
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    MAX_PATTERN_LENGTH,
    ExportFormat,
    Tool,
    build_tools,
)
from aksara.db.transaction import transaction
from aksara.exceptions import (
    DatabaseError,
    DoesNotExist,
    IntegrityError,
    PermissionDenied,
    ProtectedError,
    QueryError,
    ValidationError,
)
from aksara.fields.special import JSON

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model
    from aksara.query.queryset import QuerySet

#: The key of a search result's distance (field names cannot start with ``_``).
DISTANCE_KEY: Final = "_distance"


class AgentToolkit:
    """The tools of ``export_tools()``, runnable: ``await toolkit.call(name, arguments)``.

    ``toolkit = AgentToolkit([Customer, Order])``;
    ``await toolkit.call("customer_list", {"filters": {"email": {"iexact": "a@b.co"}}})``
    returns JSON-ready data: ``{"items": [...], "has_more": false, ...}`` for list and
    search, the record for get/create/update, ``{"deleted": true, ...}`` for delete.

    Raises ``PermissionDenied`` for a tool, field or relation path the agent may not use
    (a hidden field reads exactly like one that does not exist), ``ValidationError`` for
    malformed arguments or values the fields reject (nothing is written), and
    ``DoesNotExist`` for an unknown key. ``actions`` and ``max_page_size`` are those of
    ``export_tools()``.
    """

    def __init__(
        self,
        models: Iterable[type[Model]] | type[Model],
        *,
        actions: Collection[str] = ACTIONS,
        max_page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        if isinstance(models, type):
            models = [models]
        self.models: tuple[type[Model], ...] = tuple(unique_models(models))
        self.policies = {model: ModelPolicy(model, self.models) for model in self.models}
        self.max_page_size = max_page_size
        self.tools: dict[str, Tool] = {
            tool.name: tool
            for tool in build_tools(self.models, actions, max_page_size, self.policies)
        }

    def export(self, format: ExportFormat = "mcp") -> list[dict[str, Any]]:
        """The toolkit's tools, as ``export_tools()`` gives them."""
        return [tool.export(format) for tool in self.tools.values()]

    async def call(self, name: str, arguments: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run tool ``name`` with ``arguments`` (a JSON object) and return its JSON result."""
        # run-time checks for untyped callers (agents send arbitrary JSON)
        tool = self.tools.get(name) if isinstance(name, str) else None  # pyright: ignore[reportUnnecessaryIsInstance]
        if tool is None:
            raise PermissionDenied(f"There is no tool named {_quote(name)}")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping) or not all(isinstance(k, str) for k in arguments):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ValidationError({"arguments": ["expected a JSON object"]})
        policy = self.policies[tool.model]
        run = getattr(self, f"_{tool.action}")
        try:
            return await run(policy, arguments)  # type: ignore[no-any-return]
        except ValidationError as error:
            raise _visible_errors(policy, error) from None
        except DoesNotExist:
            raise
        except DatabaseError as error:
            # The agent sees the new message; logs keep the original as the cause.
            peers = [model.__name__ for model in self.models]
            raise _database_error(policy, error, peers) from error
        except QueryError as error:
            # Checked arguments make these rare; their texts may list every field name.
            raise QueryError(f"{policy.name}: the query could not be run") from error

    # -- reads ---------------------------------------------------------------------------------

    async def _list(self, policy: ModelPolicy, args: Mapping[str, Any]) -> dict[str, Any]:
        _only(args, ("filters", "order_by", "limit", "offset"))
        queryset = self._filtered(policy, args.get("filters"))
        order = policy.ordering(self._order(policy, args.get("order_by")))
        limit = _integer(
            args, "limit", min(DEFAULT_PAGE_SIZE, self.max_page_size), 1, self.max_page_size
        )
        offset = _integer(args, "offset", 0, 0, MAX_OFFSET)
        names = [f.name for f in policy.listed]
        rows = await queryset.order_by(*order).values(*names)[offset : offset + limit + 1]
        items = [_row(policy.listed, row) for row in rows[:limit]]
        return {"items": items, "limit": limit, "offset": offset, "has_more": len(rows) > limit}

    async def _get(self, policy: ModelPolicy, args: Mapping[str, Any]) -> dict[str, Any]:
        pk = self._pk(policy, args, ())
        names = [f.name for f in policy.readable]
        rows = await policy.model.objects.filter(pk=pk).values(*names)[:1]
        if not rows:
            raise _missing(policy, pk)
        return _row(policy.readable, rows[0])

    async def _search(self, policy: ModelPolicy, args: Mapping[str, Any]) -> dict[str, Any]:
        _only(args, ("field", "vector", "k", "metric", "filters"))
        vectors = policy.vectors
        name = args.get("field", next(iter(vectors)))
        if not isinstance(name, str) or name not in vectors:
            raise PermissionDenied(
                f"{policy.name}: {_quote(name)} is not a vector field agents can search"
            )
        field = vectors[name]
        if "vector" not in args:
            raise ValidationError({"vector": ["this argument is required"]})
        try:
            vector = field.to_python(args["vector"])
        except ValidationError as error:
            raise ValidationError({"vector": error.messages}) from None
        k = _integer(args, "k", min(10, self.max_page_size), 1, self.max_page_size)
        metric = args.get("metric", default_metric(field))
        if metric not in METRICS:
            raise ValidationError({"metric": [f"expected one of {', '.join(METRICS)}"]})
        queryset = self._filtered(policy, args.get("filters"))
        queryset = queryset.only(*(f.name for f in policy.listed))
        found = await queryset.nearest(name, vector, k=k, metric=metric, distance_attr=DISTANCE_KEY)
        items = [
            {**_row(policy.listed, obj.__dict__), DISTANCE_KEY: obj.__dict__[DISTANCE_KEY]}
            for obj in found
        ]
        return {"items": items, "metric": metric}

    # -- writes --------------------------------------------------------------------------------

    async def _create(self, policy: ModelPolicy, args: Mapping[str, Any]) -> dict[str, Any]:
        _only(args, ("data",))
        data = self._data(policy, args, policy.creatable, allow_empty=True)
        async with transaction():
            obj = await policy.model.objects.create(**data)
        return _row(policy.readable, obj.__dict__)

    async def _update(self, policy: ModelPolicy, args: Mapping[str, Any]) -> dict[str, Any]:
        pk = self._pk(policy, args, ("data",))
        data = self._data(policy, args, policy.updatable, allow_empty=False)
        async with transaction():
            obj = await policy.model.objects.select_for_update().filter(pk=pk).first()
            if obj is None:
                raise _missing(policy, pk)
            for name, value in data.items():
                setattr(obj, name, value)
            await obj.save()
        return _row(policy.readable, obj.__dict__)

    async def _delete(self, policy: ModelPolicy, args: Mapping[str, Any]) -> dict[str, Any]:
        pk = self._pk(policy, args, ())
        async with transaction():
            deleted = await policy.model.objects.filter(pk=pk).delete()
        if not deleted:
            raise _missing(policy, pk)
        assert policy.pk is not None
        return {"deleted": True, policy.pk.name: to_json(pk)}

    # -- arguments -----------------------------------------------------------------------------

    def _pk(self, policy: ModelPolicy, args: Mapping[str, Any], others: Sequence[str]) -> Any:
        pk = policy.pk
        assert pk is not None
        _only(args, (pk.name, *others))
        if pk.name not in args:
            raise ValidationError({pk.name: ["this argument is required"]})
        try:
            return pk.to_python(from_json(pk, args[pk.name]))
        except ValidationError as error:
            raise ValidationError({pk.name: error.messages}) from None

    def _data(
        self,
        policy: ModelPolicy,
        args: Mapping[str, Any],
        allowed: Mapping[str, Field[Any, Any]],
        *,
        allow_empty: bool,
    ) -> dict[str, Any]:
        data = args.get("data", {} if allow_empty else None)
        if not _is_object(data) or not (data or allow_empty):
            raise ValidationError({"data": ["expected an object of field values"]})
        for key in data:
            if isinstance(key, str) and key in allowed:
                continue
            if isinstance(key, str) and key in policy.fields:
                raise PermissionDenied(f"{policy.name}.{key} is read-only for agents")
            raise PermissionDenied(
                f"{policy.name} has no field {_quote(key)} that agents can write"
            )
        values: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for key, value in data.items():
            try:
                values[key] = from_json(allowed[key], value)
            except ValidationError as error:
                errors[key] = error.messages
        if errors:
            raise ValidationError(errors, model=policy.name)
        return values

    def _order(self, policy: ModelPolicy, order_by: Any) -> tuple[str, ...]:
        if order_by is None:
            return ()
        if isinstance(order_by, str):
            order_by = [order_by]
        if not _is_list(order_by) or len(order_by) > len(policy.orderings) // 2:
            raise ValidationError({"order_by": ["expected a short list of sort keys"]})
        for spec in order_by:
            if not isinstance(spec, str) or spec not in policy.orderings:
                raise PermissionDenied(f"{policy.name}: agents cannot sort by {_quote(spec)}")
        return tuple(dict.fromkeys(order_by))

    def _filtered(self, policy: ModelPolicy, filters: Any) -> QuerySet[Any]:
        queryset = policy.model.objects.all()
        if filters is None:
            return queryset
        if not _is_object(filters):
            raise ValidationError({"filters": ["expected an object of conditions by field"]})
        conditions: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for key, ops in filters.items():
            if not isinstance(key, str) or key not in policy.filters:
                raise PermissionDenied(f"{policy.name}: agents cannot filter on {_quote(key)}")
            field, allowed = policy.filters[key]
            if not _is_object(ops) or not ops:
                errors[key] = ['expected an object of operators, e.g. {"exact": ...}']
                continue
            for op, value in ops.items():
                if op not in allowed:
                    errors.setdefault(key, []).append(
                        f"unsupported operator {_quote(op)} (use {', '.join(allowed)})"
                    )
                    continue
                try:
                    conditions[f"{key}__{op}"] = _operand(field, op, value)
                except ValidationError as error:
                    errors.setdefault(key, []).extend(f"{op}: {m}" for m in error.messages)
        if errors:
            raise ValidationError({f"filters.{k}": v for k, v in errors.items()}, model=policy.name)
        return queryset.filter(**conditions) if conditions else queryset


def _is_object(value: object) -> TypeIs[Mapping[Any, Any]]:
    """Whether ``value`` is a JSON object (a mapping of any keys and values)."""
    return isinstance(value, Mapping)


def _is_list(value: object) -> TypeIs[list[Any]]:
    """Whether ``value`` is a JSON array (a list of any values)."""
    return isinstance(value, list)


def _quote(value: Any, limit: int = 60) -> str:
    """``repr(value)`` shortened: messages echo what the agent sent, not megabytes of it."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _only(args: Mapping[str, Any], names: Sequence[str]) -> None:
    unexpected = [k for k in args if k not in names]
    if unexpected:
        raise ValidationError(
            {
                "arguments": [
                    f"unexpected argument {_quote(k)} (expected {', '.join(names)})"
                    for k in unexpected
                ]
            }
        )


def _integer(args: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError({name: [f"expected an integer from {low} to {high}"]})
    return value


def _operand(field: Field[Any, Any], op: str, value: Any) -> Any:
    """Check and convert the value of ``op`` the way the field converts its own values."""
    if op == "isnull":
        if not isinstance(value, bool):
            raise ValidationError("expected true or false")
        return value
    if op in ("in", "range"):
        if not _is_list(value):
            raise ValidationError("expected a list")
        if op == "range" and len(value) != 2:
            raise ValidationError("expected [low, high]")
        if not 1 <= len(value) <= MAX_IN_VALUES:
            raise ValidationError(f"expected 1 to {MAX_IN_VALUES} values")
        return [_value(field, item) for item in value]
    if isinstance(field, JSON):
        if op == "has_key":
            if not isinstance(value, str):
                raise ValidationError("expected a key name")
            return value
        if not isinstance(value, (dict, list)):
            raise ValidationError("expected an object or a list")
        return field.clean(value)
    if op in ARRAY_LOOKUPS and field.ai_type == "array":
        return field.clean(value)
    if op in TEXT_PATTERN_LOOKUPS:
        if not isinstance(value, str) or len(value) > MAX_PATTERN_LENGTH:
            raise ValidationError(f"expected a string of at most {MAX_PATTERN_LENGTH} characters")
        return value
    return _value(field, value)


def _value(field: Field[Any, Any], value: Any) -> Any:
    if value is None:
        raise ValidationError("null is not a value to compare with; use isnull")
    if isinstance(value, (dict, list)) and field.ai_type not in ("array", "object"):
        raise ValidationError(f"expected a single value, got {type(cast(object, value)).__name__}")
    return field.to_query(from_json(field, value))


def _row(fields: Sequence[Field[Any, Any]], values: Mapping[str, Any]) -> dict[str, Any]:
    """The visible fields of a record as JSON, by field name (relations: the related key)."""
    row: dict[str, Any] = {}
    for field in fields:
        key = field.attname if field.attname in values else field.name
        row[field.name] = to_json(values.get(key))
    return row


def _missing(policy: ModelPolicy, pk: Any) -> DoesNotExist:
    return policy.model.DoesNotExist(f"{policy.name} {to_json(pk)!r} does not exist")


def _visible_errors(policy: ModelPolicy, error: ValidationError) -> ValidationError:
    """``error`` without the names of hidden fields (``save()`` validates every field)."""
    errors: dict[str, list[str]] = {}
    hidden = set(policy.model._meta.fields) - set(policy.fields)
    for key, messages in error.errors.items():
        if key in hidden:
            errors.setdefault("__all__", []).append("a value agents cannot see is invalid")
        else:
            errors.setdefault(key, []).extend(messages)
    return ValidationError(errors, model=error.model)


_CONSTRAINT_KINDS: Final = {
    "23505": "a record with the same {fields} already exists",
    "23503": "{fields} refers to a record that does not exist",
    "23502": "{fields} cannot be null",
    "23514": "the values break a check on {fields}",
}


def _database_error(
    policy: ModelPolicy, error: DatabaseError, peers: Collection[str]
) -> DatabaseError:
    """A database error retold without its detail text, which quotes row values (hidden
    ones included); constraint columns are named only when agents can see them all."""
    if isinstance(error, ProtectedError):
        # Only an exported model may be named: the others do not exist for the agent.
        blocking = error.blocking_model if error.blocking_model in peers else "another model"
        return ProtectedError(
            f"{policy.name}: cannot delete, records of {blocking} still refer to it",
            sqlstate=error.sqlstate,
        )
    template = _CONSTRAINT_KINDS.get(error.sqlstate or "")
    if template is None:
        kind = type(error) if isinstance(error, IntegrityError) else DatabaseError
        return kind(f"{policy.name}: the database refused the operation", sqlstate=error.sqlstate)
    columns = _constraint_columns(policy, error)
    shown = ", ".join(columns) if columns else "values"
    return IntegrityError(
        f"{policy.name}: " + template.format(fields=shown), sqlstate=error.sqlstate
    )


def _constraint_columns(policy: ModelPolicy, error: DatabaseError) -> list[str]:
    table = policy.model._meta.table
    details = error.details
    names: list[str] = []
    if details.get("column"):
        names = [details["column"]]
    elif table is not None and details.get("constraint"):
        wanted = details["constraint"]
        items: list[Any] = [*table.constraints, *table.indexes]
        for item in items:
            if item.name == wanted:
                names = [c.name for c in item.columns]
        if not names:
            # "Key (sku)=(...) already exists": the columns, never the quoted values.
            match = re.search(r"Key \(([^)]*)\)=", str(error))
            names = [n.strip() for n in match.group(1).split(",")] if match else []
    by_column = {f.column_name: f for f in policy.model._meta.concrete_fields}
    fields = [by_column.get(n) for n in names]
    if not fields or any(f is None or is_sensitive(f) for f in fields):
        return []
    return [f.name for f in fields if f is not None]
