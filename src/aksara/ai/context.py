"""``model_context()``: a compact description of models for an LLM prompt."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from aksara.ai.policy import agent_writable, is_sensitive, required_on_create, unique_models
from aksara.ai.schema import MAX_ENUM, NO_DEFAULT, json_default, to_json
from aksara.exceptions import ConfigurationError
from aksara.fields.relations import ForeignKey, ManyToMany, OneToOne, RelatedField

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.fields.relation_base import ReverseRelation
    from aksara.models.base import Model

#: ``describe()`` keys rendered by ``_field_data`` itself, or not for prompts.
_SKIPPED = {
    "type",
    "nullable",
    "required",
    "description",
    "default",
    "choices",
    "enum",
    "to",
    "on_delete",
}


def model_context(*models: type[Model], format: Literal["markdown", "json"] = "markdown") -> str:
    """Describe ``models`` for a prompt: fields (type, constraints, choices, defaults,
    nullability, ``ai_description``) and relations, in declaration order.

    ``format="markdown"`` gives one section per model; ``format="json"`` gives the same
    data as compact JSON. The text depends only on the models, so it can be cached.
    Fields with ``ai_sensitive=True`` are left out entirely, names included, and so are
    relations through them.
    """
    chosen = unique_models(models)
    data = [_model_data(model, chosen) for model in chosen]
    if format == "json":
        return json.dumps({"models": data}, separators=(",", ":"), ensure_ascii=False)
    if format == "markdown":
        return "\n\n".join(_markdown(item) for item in data) + "\n"
    raise ConfigurationError(
        f"model_context(format=...) must be 'markdown' or 'json', got {format!r}"
    )


def _model_data(model: type[Model], chosen: list[type[Model]]) -> dict[str, Any]:
    meta = model._meta
    data: dict[str, Any] = {"name": model.__name__}
    if meta.ai_description:
        data["description"] = meta.ai_description
    data["fields"] = [_field_data(f, chosen) for f in meta.fields.values() if not is_sensitive(f)]
    reverse = [
        _reverse_data(r)
        for r in meta.reverse.values()
        if r.accessor is not None and r.related_model in chosen and not is_sensitive(r.field)
    ]
    if reverse:
        data["reverse_relations"] = reverse
    return data


def _field_data(field: Field[Any, Any], chosen: list[type[Model]]) -> dict[str, Any]:
    info = field.describe()
    data: dict[str, Any] = {"name": field.name, "type": info["type"]}
    if isinstance(field, RelatedField):
        data["relation"] = _relation_kind(field)
        data["to"] = info["to"]
        if "on_delete" in info:
            data["on_delete"] = info["on_delete"]
    if field.primary_key:
        data["primary_key"] = True
    data["nullable"] = field.nullable
    if required_on_create(field):
        data["required"] = True
    for key, value in info.items():
        if key in _SKIPPED or key == "primary_key":
            continue
        if key in ("minimum", "maximum") and _is_type_bound(field, key, value):
            continue  # the column type's own range says nothing about this field
        if key == "auto_from":
            source = field.model._meta.fields.get(value)
            if source is None or is_sensitive(source):
                continue
        data[key] = to_json(value)
    values = info.get("enum", info.get("choices"))
    if values is not None:
        if len(values) <= MAX_ENUM:
            data["choices"] = [to_json(v) for v in values]
        else:
            data["choice_count"] = len(values)
    default = json_default(field)
    if default is not NO_DEFAULT:
        data["default"] = default
    elif field.has_default():
        data["generated_default"] = True
    if not agent_writable(field, chosen):
        data["read_only"] = True
    if field.ai_description:
        data["description"] = field.ai_description
    return data


def _is_type_bound(field: Field[Any, Any], key: str, value: Any) -> bool:
    bound = getattr(type(field), "range_min" if key == "minimum" else "range_max", None)
    return bound is not None and value == bound and bound != 0


def _relation_kind(field: RelatedField) -> str:
    if isinstance(field, ManyToMany):
        return "many-to-many"
    if isinstance(field, OneToOne):
        return "one-to-one"
    if isinstance(field, ForeignKey):
        return "many-to-one"
    return "relation"


def _reverse_data(relation: ReverseRelation) -> dict[str, Any]:
    source = relation.field
    if isinstance(source, ManyToMany):
        kind = "many-to-many"
    else:
        kind = "one-to-many" if relation.multi_valued else "one-to-one"
    return {
        "name": relation.accessor,
        "relation": kind,
        "from": f"{source.model.__name__}.{source.name}",
    }


# -- markdown --------------------------------------------------------------------------------


def _markdown(model: dict[str, Any]) -> str:
    lines = [f"## {model['name']}"]
    if "description" in model:
        lines.append(model["description"])
    lines.append("Fields:")
    lines.extend(_field_line(f) for f in model["fields"])
    if "reverse_relations" in model:
        lines.append("Reverse relations:")
        lines.extend(
            f"- {r['name']}: {r['relation']}, the {r['from']} records pointing here"
            for r in model["reverse_relations"]
        )
    return "\n".join(lines)


def _field_line(field: dict[str, Any]) -> str:
    kind = field["type"]
    notes: list[str] = []
    if "to" in field:
        kind = f"{kind} → {field['to']}"
        notes.append(field["relation"])
        if "on_delete" in field:
            notes.append(f"on delete {field['on_delete']}")
    if field.get("primary_key"):
        notes.append("primary key")
    if field["nullable"]:
        notes.append("nullable")
    elif field.get("required"):
        notes.append("required")
    if field.get("unique"):
        notes.append("unique")
    notes.extend(_constraint_notes(field))
    if "choices" in field:
        notes.append(
            "one of " + ", ".join(json.dumps(c, ensure_ascii=False) for c in field["choices"])
        )
    elif "choice_count" in field:
        notes.append(f"one of {field['choice_count']} choices")
    if "default" in field:
        notes.append(f"default {json.dumps(field['default'], ensure_ascii=False)}")
    elif field.get("generated_default"):
        notes.append("default generated")
    if field.get("read_only"):
        notes.append("read-only for agents")
    line = f"- {field['name']} ({kind})"
    if notes:
        line += ": " + "; ".join(notes)
    if "description" in field:
        line += f" — {field['description']}"
    return line


def _constraint_notes(field: dict[str, Any]) -> list[str]:
    notes: list[str] = []
    if "max_length" in field:
        notes.append(f"max length {field['max_length']}")
    if "min_length" in field:
        notes.append(f"min length {field['min_length']}")
    if "pattern" in field:
        notes.append(f"pattern {field['pattern']}")
    if "precision" in field:
        notes.append(f"precision {field['precision']}, scale {field['scale']}")
    if "minimum" in field:
        notes.append(f"min {field['minimum']}")
    if "maximum" in field:
        notes.append(f"max {field['maximum']}")
    if "format" in field:
        notes.append(f"format {field['format']}")
    if "items" in field:
        items = field["items"]
        kind = items.get("type", "any")
        notes.append(f"items {kind} ({items['format']})" if "format" in items else f"items {kind}")
    if "dimensions" in field:
        notes.append(f"{field['dimensions']} dimensions")
    if "auto" in field:
        notes.append("set on create" if field["auto"] == "auto_now_add" else "set on every save")
    if "auto_from" in field:
        notes.append(f"generated from {field['auto_from']} when empty")
    return notes
