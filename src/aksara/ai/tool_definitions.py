"""Tool definitions for agents: per model, list/get/create/update/delete (and search for
models with a ``Vector`` field), with JSON Schema inputs, exported for MCP, OpenAI or as JSON.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from aksara.ai.policy import (
    ARRAY_LOOKUPS,
    METRICS,
    TEXT_PATTERN_LOOKUPS,
    ModelPolicy,
    default_metric,
    unique_models,
)
from aksara.ai.schema import field_schema, filter_value_schema, value_schema
from aksara.exceptions import ConfigurationError
from aksara.fields.special import JSON
from aksara.registry import snake_case

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model

ACTIONS: Final = ("list", "get", "create", "update", "delete", "search")
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 100
MAX_OFFSET: Final = 10_000
#: Values an ``in`` filter may list.
MAX_IN_VALUES: Final = 100
#: Longest text a pattern lookup (``icontains``, ...) may search for.
MAX_PATTERN_LENGTH: Final = 1000
#: The ``$defs`` entry of free text for pattern lookups (field names cannot start with ``_``).
TEXT_DEF: Final = "_text"
#: OpenAI's limit on function names (MCP allows 128).
MAX_TOOL_NAME: Final = 64

ExportFormat = Literal["mcp", "openai", "json"]


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool: its name, description, JSON Schema input and behaviour hints.

    The ``to_*`` exports are fresh copies: changing one never changes the tool.
    """

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    model: type[Model]
    action: str
    read_only: bool
    destructive: bool
    idempotent: bool

    def to_mcp(self) -> dict[str, Any]:
        """An MCP tool definition (``tools/list``), with its annotations."""
        annotations: dict[str, Any] = {"title": self.title, "readOnlyHint": self.read_only}
        if not self.read_only:
            annotations["destructiveHint"] = self.destructive
            annotations["idempotentHint"] = self.idempotent
        annotations["openWorldHint"] = False
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": copy.deepcopy(self.input_schema),
            "annotations": annotations,
        }

    def to_openai(self) -> dict[str, Any]:
        """An OpenAI function tool (Chat Completions ``tools=[...]``)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": copy.deepcopy(self.input_schema),
            },
        }

    def to_json(self) -> dict[str, Any]:
        """aksara's own plain description of the tool."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "model": self.model.__name__,
            "action": self.action,
            "input_schema": copy.deepcopy(self.input_schema),
            "read_only": self.read_only,
            "destructive": self.destructive,
            "idempotent": self.idempotent,
        }

    def export(self, format: ExportFormat) -> dict[str, Any]:
        if format == "mcp":
            return self.to_mcp()
        if format == "openai":
            return self.to_openai()
        if format == "json":
            return self.to_json()
        raise ConfigurationError(f"format must be 'mcp', 'openai' or 'json', got {format!r}")


def export_tools(
    *models: type[Model],
    format: ExportFormat = "mcp",
    actions: Collection[str] = ACTIONS,
    max_page_size: int = MAX_PAGE_SIZE,
) -> list[dict[str, Any]]:
    """The tools an agent gets for ``models``, as MCP tool definitions (``format="mcp"``),
    OpenAI function tools (``"openai"``) or aksara's plain JSON (``"json"``).

    Per model: ``<model>_list`` (filter, sort, page), ``<model>_get``, ``<model>_create``,
    ``<model>_update``, ``<model>_delete`` and, with a ``Vector`` field, ``<model>_search``
    (nearest neighbours); ``actions`` keeps a subset (``actions=("list", "get")`` for read
    only). Input schemas follow the fields: lengths, patterns, choices, ranges, formats,
    nullability. Sensitive fields appear nowhere; fields agents may not write are absent
    from create and update inputs, and a model with a required field that agents cannot
    set gets no create tool (every call would fail). ``AgentToolkit`` runs exactly these
    tools.
    """
    return [tool.export(format) for tool in build_tools(models, actions, max_page_size)]


def build_tools(
    models: Iterable[type[Model]],
    actions: Collection[str] = ACTIONS,
    max_page_size: int = MAX_PAGE_SIZE,
    policies: dict[type[Model], ModelPolicy] | None = None,
) -> list[Tool]:
    chosen = unique_models(models)
    unknown = set(actions) - set(ACTIONS)
    if unknown:
        raise ConfigurationError(
            f"Unknown tool action(s) {', '.join(sorted(unknown))}; choose from {', '.join(ACTIONS)}"
        )
    # run-time check for untyped callers
    if isinstance(max_page_size, bool) or not isinstance(max_page_size, int) or max_page_size < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ConfigurationError(f"max_page_size must be a positive integer, got {max_page_size!r}")
    if policies is None:
        policies = {model: ModelPolicy(model, chosen) for model in chosen}
    tools: list[Tool] = []
    for model in chosen:
        builder = _Builder(policies[model], max_page_size)
        for action in ACTIONS:
            tool = builder.build(action) if action in actions else None
            if tool is not None:
                tools.append(tool)
    return tools


class _Builder:
    def __init__(self, policy: ModelPolicy, max_page_size: int) -> None:
        self.policy = policy
        self.model = policy.model
        self.name = policy.name
        self.prefix = snake_case(policy.name)
        self.max_page_size = max_page_size
        # The description's first paragraph; model_context() carries all of it.
        about = " ".join(self.model._meta.ai_description.split("\n\n")[0].split())
        self.about = f" ({about.rstrip('.')})" if about else ""

    def build(self, action: str) -> Tool | None:
        policy = self.policy
        if action in ("get", "update", "delete") and policy.pk is None:
            return None
        if action == "delete" and not policy.can_delete:
            return None  # it would delete or change records of models that are not exported
        if action == "create" and not policy.can_create:
            # A required field the agent cannot set: every create would fail.
            return None
        if action == "update" and not policy.updatable:
            return None
        if action == "search" and not policy.vectors:
            return None
        return getattr(self, f"_{action}")()  # type: ignore[no-any-return]

    def _tool(
        self,
        action: str,
        title: str,
        description: str,
        schema: dict[str, Any],
        *,
        read_only: bool = False,
        destructive: bool = False,
        idempotent: bool = False,
    ) -> Tool:
        name = f"{self.prefix}_{action}"
        if len(name) > MAX_TOOL_NAME:
            raise ConfigurationError(
                f"The tool name {name!r} is longer than {MAX_TOOL_NAME} characters; "
                f"shorten the model name {self.name}"
            )
        return Tool(
            name=name,
            title=title,
            description=description,
            input_schema=schema,
            model=self.model,
            action=action,
            read_only=read_only,
            destructive=destructive,
            idempotent=idempotent,
        )

    # -- inputs ------------------------------------------------------------------------------

    def _filters(self, defs: dict[str, Any]) -> dict[str, Any] | None:
        properties: dict[str, Any] = {}
        for key, (field, ops) in self.policy.filters.items():
            if TEXT_PATTERN_LOOKUPS.intersection(ops) and not isinstance(field, JSON):
                defs[TEXT_DEF] = {"type": "string", "maxLength": MAX_PATTERN_LENGTH}
            defs[key] = filter_value_schema(field)
            ref = {"$ref": f"#/$defs/{key}"}
            properties[key] = {
                "type": "object",
                "properties": {op: _operand(field, op, ref) for op in ops},
                "additionalProperties": False,
                "minProperties": 1,
            }
        if not properties:
            return None
        return {
            "type": "object",
            "description": (
                "Conditions that must all hold, by field (or relation__field) and operator, "
                'e.g. {"name": {"icontains": "tea"}, "price": {"gte": 5, "lt": 20}}'
            ),
            "properties": properties,
            "additionalProperties": False,
        }

    def _pk_property(self) -> dict[str, Any]:
        pk = self.policy.pk
        assert pk is not None
        schema = value_schema(pk)
        schema["description"] = f"The {pk.name} of the {self.name}"
        return {pk.name: schema}

    def _object(
        self, properties: dict[str, Any], required: list[str], defs: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        schema["additionalProperties"] = False
        if defs:
            schema["$defs"] = defs
        return schema

    # -- tools -------------------------------------------------------------------------------

    def _list(self) -> Tool:
        defs: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        filters = self._filters(defs)
        if filters is not None:
            properties["filters"] = filters
        if self.policy.orderings:
            properties["order_by"] = {
                "type": "array",
                "description": "Sort keys, most significant first; a leading '-' sorts descending",
                "items": {"type": "string", "enum": list(self.policy.orderings)},
                "uniqueItems": True,
                "maxItems": len(self.policy.orderings) // 2,
            }
        properties["limit"] = {
            "type": "integer",
            "description": "Records per page",
            "minimum": 1,
            "maximum": self.max_page_size,
            "default": min(DEFAULT_PAGE_SIZE, self.max_page_size),
        }
        properties["offset"] = {
            "type": "integer",
            "description": "Records to skip (the next page starts at offset + limit)",
            "minimum": 0,
            "maximum": MAX_OFFSET,
            "default": 0,
        }
        return self._tool(
            "list",
            f"List {self.name} records",
            f"List {self.name} records{self.about}, optionally filtered and sorted, "
            f"at most {self.max_page_size} per call. Returns items and has_more.",
            self._object(properties, [], defs),
            read_only=True,
        )

    def _get(self) -> Tool:
        pk = self.policy.pk
        assert pk is not None
        return self._tool(
            "get",
            f"Get {self.name}",
            f"Get one {self.name}{self.about} by its {pk.name}.",
            self._object(self._pk_property(), [pk.name]),
            read_only=True,
        )

    def _data(self, fields: dict[str, Field[Any, Any]], *, create: bool) -> dict[str, Any]:
        properties = {name: field_schema(f, with_default=create) for name, f in fields.items()}
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        required = [n for n in self.policy.required if n in fields] if create else []
        if required:
            schema["required"] = required
        if not create:
            schema["minProperties"] = 1
        schema["additionalProperties"] = False
        return schema

    def _create(self) -> Tool:
        data = self._data(self.policy.creatable, create=True)
        data["description"] = f"Field values of the new {self.name}"
        return self._tool(
            "create",
            f"Create {self.name}",
            f"Create one {self.name}{self.about}. Fields left out take their defaults. "
            "Returns the created record.",
            self._object({"data": data}, ["data"]),
        )

    def _update(self) -> Tool:
        pk = self.policy.pk
        assert pk is not None
        data = self._data(self.policy.updatable, create=False)
        data["description"] = "The fields to change and their new values"
        return self._tool(
            "update",
            f"Update {self.name}",
            f"Change fields of one {self.name}{self.about}, found by its {pk.name}; "
            "fields left out keep their values. Returns the updated record.",
            self._object({**self._pk_property(), "data": data}, [pk.name, "data"]),
            destructive=True,
            idempotent=True,
        )

    def _delete(self) -> Tool:
        pk = self.policy.pk
        assert pk is not None
        return self._tool(
            "delete",
            f"Delete {self.name}",
            f"Delete one {self.name}{self.about} by its {pk.name}. Records that depend "
            "on it may be deleted or unlinked too, as the schema's relations say.",
            self._object(self._pk_property(), [pk.name]),
            destructive=True,
            idempotent=True,
        )

    def _search(self) -> Tool:
        vectors = self.policy.vectors
        first = next(iter(vectors.values()))
        defs: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        if len(vectors) > 1:
            properties["field"] = {
                "type": "string",
                "description": "The vector field to search",
                "enum": list(vectors),
                "default": first.name,
            }
        vector = (
            value_schema(first)
            if len(vectors) == 1
            else {
                "type": "array",
                "items": {"type": "number"},
            }
        )
        vector["description"] = "The query embedding"
        properties["vector"] = vector
        properties["k"] = {
            "type": "integer",
            "description": "How many nearest records to return",
            "minimum": 1,
            "maximum": self.max_page_size,
            "default": min(10, self.max_page_size),
        }
        properties["metric"] = {
            "type": "string",
            "description": "Distance metric",
            "enum": list(METRICS),
            "default": default_metric(first),
        }
        filters = self._filters(defs)
        if filters is not None:
            properties["filters"] = filters
        names = ", ".join(vectors)
        return self._tool(
            "search",
            f"Search {self.name} by similarity",
            f"Find the {self.name} records{self.about} whose {names} is nearest to a "
            "query vector, nearest first, each with its _distance.",
            self._object(properties, ["vector"], defs),
            read_only=True,
        )


def _operand(field: Field[Any, Any], op: str, ref: dict[str, Any]) -> dict[str, Any]:
    """The schema of the value of operator ``op`` on ``field``."""
    if op == "isnull":
        return {"type": "boolean"}
    if op == "in":
        return {"type": "array", "items": ref, "minItems": 1, "maxItems": MAX_IN_VALUES}
    if op == "range":
        return {"type": "array", "items": ref, "minItems": 2, "maxItems": 2}
    if isinstance(field, JSON):
        if op == "has_key":
            return {"type": "string"}
        return {"type": ["object", "array"]}  # contains: JSONB @>
    if op in ARRAY_LOOKUPS and field.ai_type == "array":
        return ref  # a list of elements, like the field's values
    if op in TEXT_PATTERN_LOOKUPS:
        return {"$ref": f"#/$defs/{TEXT_DEF}"}
    return ref
