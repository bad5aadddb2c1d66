"""What ``Model(**values)`` runs: a constructor generated once per model
(``Options.initializer``).

CPython keeps the attributes of a class's instances in one key table shared by the class
and each instance's values inline, with no dict of its own, while that table has room.
Each instance made takes a little of the room for new keys, so a class whose first few
dozen instances store no attribute in the table (their dict replaced whole, say) can add
no key to it afterwards, and every row loaded from then on gets a dict of its own: twice
the memory and a slower build. So the table is filled first, with the columns in the
order rows are loaded (``share_keys``), and a model whose keys fit in it stores each
value as an attribute. A wider model's instances have dicts of their own in any case: it
gets one copy of its shared defaults as its dict, several times cheaper than storing
thirty-odd attributes one by one.
"""

from __future__ import annotations

import marshal
from typing import TYPE_CHECKING, Any

from aksara._codegen import is_identifier, make_function
from aksara.fields._values import freeze

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.options import Options

#: The keys a class's shared table holds in CPython 3.11 to 3.13 (``SHARED_KEYS_MAX_SIZE``
#: is 30, one short of which fit in practice); measured in tests/models/test_initializer.py.
SHARED_KEYS = 29


def share_keys(meta: Options) -> None:
    """Put the model's column names, then ``_loaded``, in its class's shared key table, in
    the order a loaded row stores them (``aksara.query._compile.instance_builder``): done
    when the class is made, before any instance takes room in the table."""
    template = object.__new__(meta.model)
    plain = meta.plain_keys
    for attname in meta.attnames:
        if attname in plain:
            object.__setattr__(template, attname, None)
    object.__setattr__(template, "_loaded", None)


def build_initializer(meta: Options) -> Any:
    """``init(instance, values)``: what ``Model(**values)`` does for ``meta``'s model."""
    shared, per_instance = meta.new_defaults
    attnames = meta.attnames
    names: dict[str, Any] = {
        "plain": meta.plain_keys,
        "loads": marshal.loads,
        "osa": object.__setattr__,
        "other": meta.model._set_other,
    }
    makers = {f.attname: _maker(i, f, names) for i, f in enumerate(per_instance)}
    inline = (
        len(attnames) < SHARED_KEYS
        and set(attnames) <= meta.plain_keys
        and all(is_identifier(a) for a in attnames)
    )
    if inline:
        lines = ["def init(self, values):"]
        for i, attname in enumerate(attnames):
            if attname in makers:
                given, make = makers[attname]
                # None keeps the key's place when the value comes from ``values``.
                lines.append(f"    self.{attname} = {make} if {given} else None")
            else:
                names[f"v{i}"] = shared[attname]
                lines.append(f"    self.{attname} = v{i}")
        lines.append("    self._loaded = None")
        store = "osa(self, key, value)"
    else:
        names["shared"] = {**shared, "_loaded": None}
        lines = [
            "def init(self, values):",
            "    d = shared.copy()",
            "    if self.__dict__:  # set by a subclass's __init__ before calling Model's",
            "        d = {**self.__dict__, **d}",
        ]
        for attname, (given, make) in makers.items():
            lines += [f"    if {given}:", f"        d[{attname!r}] = {make}"]
        lines.append("    osa(self, '__dict__', d)")
        store = "d[key] = value  # what setattr() does, without looking for a descriptor"
    lines += [
        "    for key, value in values.items():",
        "        if key in plain:",
        f"            {store}",
        "        else:",
        "            other(self, key, value)",
    ]
    return make_function("\n".join(lines) + "\n", names, f"initializer for {meta.model_name}")


def _maker(i: int, field: Field[Any, Any], names: dict[str, Any]) -> tuple[str, str]:
    """A per-instance default: the condition that ``values`` lacks the field, and the
    expression making the default (a list or dict unmarshalled from its bytes)."""
    given = f"{field.name!r} not in values"
    if field.attname != field.name:
        given += f" and {field.attname!r} not in values"
    default = field.default
    frozen = freeze(default) if type(default) in (list, dict) else b""
    if frozen:
        names[f"b{i}"] = frozen
        return given, f"loads(b{i})"
    names[f"f{i}"] = field
    return given, f"f{i}.get_default()"
