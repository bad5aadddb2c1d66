"""What ``Model(**values)`` runs: a constructor generated once per model
(``Options.initializer``), and from the second instance on the class's own ``__init__``
with a keyword parameter per column (``keyword_init``), unless the class or a base between
it and ``Model`` defines ``__init__``.

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
from aksara.fields._values import freeze, literal

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.options import Options

#: The keys a class's shared table holds in CPython 3.11 to 3.13 (``SHARED_KEYS_MAX_SIZE``
#: is 30, one short of which fit in practice); measured in tests/models/test_initializer.py.
SHARED_KEYS = 29


def share_keys(meta: Options) -> None:
    """Put the model's column names, then ``_loaded``, in its class's shared key table, in
    the order a loaded row stores them (``aksara.query._compile.instance_builder``), then
    the cache names of its relations: done when the class is made, before any instance
    takes room in the table.

    Once instances are made, the table takes one key more at most: the relation caches
    a process happened to fill first would have their place, and an instance given any
    other would get a dict of its own (several hundred bytes, and slower to build). A
    cache's place costs each instance 8 bytes, filled or not."""
    # The template's attributes are set, never read: reading its __dict__ would make it a
    # dict of its own, which the next keys would go to.
    meta.key_template = object.__new__(meta.model)
    plain = meta.plain_keys
    for attname in meta.attnames:
        if attname in plain:
            meta.share_key(attname)
    meta.share_key("_loaded")
    for field in meta.fields.values():
        cache = getattr(field, "cache_name", "")
        if cache:
            meta.share_key(cache)
    for reverse in meta.reverse.values():
        if reverse.accessor is not None:  # a hidden one (``related_name="+"``) is never filled
            meta.share_key(reverse.cache_name)


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
    expression making the default (a list or dict as a literal, or unmarshalled from its
    bytes)."""
    given = f"{field.name!r} not in values"
    if field.attname != field.name:
        given += f" and {field.attname!r} not in values"
    return given, _made(i, field, names, "")


class _NotGiven:
    def __repr__(self) -> str:
        return "<not given>"


#: The default of a keyword whose field makes its default per instance: not given.
_MISSING = _NotGiven()

#: Marks a class's ``__init__`` made by ``keyword_init`` (``clear_caches`` removes it).
GENERATED = "_aksara_generated"


def keyword_init(meta: Options, base_init: Any) -> Any | None:
    """``__init__(self, /, *, id=None, title=None, ..., **others)`` for ``meta``'s model:
    ``build_initializer``'s work with each column a keyword parameter, which Python binds
    in C, so no dict of values is made or searched (2.5 times faster for a few columns).
    Relations given as instances, ``pk`` and unknown names arrive in ``others``, as before.

    An instance of another class (a subclass whose own ``__init__`` calls this one through
    ``super()``) goes to ``base_init`` (``Model.__init__``) with the values it was given.
    None when a column's name is not a plain attribute usable as a parameter."""
    attnames = meta.attnames
    # A wider model binds each missing keyword from a dict of defaults, one lookup per
    # column: its shared defaults copied at once (``build_initializer``) cost less.
    if not attnames or len(attnames) >= SHARED_KEYS or not set(attnames) <= meta.plain_keys:
        return None
    if not all(is_identifier(a) and not a.startswith("__") for a in attnames):
        return None
    shared, per_instance = meta.new_defaults
    makers = {f.attname: (i, f) for i, f in enumerate(per_instance)}
    names: dict[str, Any] = {
        "__model": meta.model,
        "__other": meta.model._set_other,
        "__loads": marshal.loads,
        "__MISSING": _MISSING,
        "__type": type,  # a column may be called ``type``
    }
    defaults: list[Any] = []
    params: list[str] = []
    values: list[str] = []
    for i, attname in enumerate(attnames):
        if attname in makers:
            j, field = makers[attname]
            names[f"__d{i}"] = _MISSING
            given = f"{attname} is __MISSING"
            if field.name != attname:  # ``author=`` arrives in others, ``author_id=`` here
                given += f" and {field.name!r} not in __others"
            values.append(f"({_made(j, field, names)} if {given} else {attname})")
        else:
            names[f"__d{i}"] = shared[attname]
            values.append(attname)
        defaults.append(names[f"__d{i}"])
        params.append(f"{attname}=__d{i}")
    names["__fallback"] = _fallback(attnames, tuple(defaults), base_init)
    lines = [
        f"def __init__(__self, /, *, {', '.join(params)}, **__others):",
        "    if __type(__self) is not __model:",
        f"        return __fallback(__self, ({', '.join(attnames)},), __others)",
    ]
    lines += [f"    __self.{a} = {v}" for a, v in zip(attnames, values, strict=True)]
    lines.append("    __self._loaded = None")
    lines += [
        "    if __others:",
        "        for key, value in __others.items():",
        "            __other(__self, key, value)",
    ]
    init = make_function("\n".join(lines) + "\n", names, f"__init__ of {meta.model_name}")
    setattr(init, GENERATED, True)
    init.__qualname__ = f"{meta.model.__qualname__}.__init__"
    return init


def _made(i: int, field: Field[Any, Any], names: dict[str, Any], prefix: str = "__") -> str:
    """The expression making a per-instance default: a list or dict as a literal, or
    unmarshalled from its bytes; anything else from ``get_default()``. The names it puts in
    ``names`` start with ``prefix`` (``keyword_init``'s own start with ``__``)."""
    default = field.default
    source = literal(default) if type(default) in (list, dict) else None
    if source is not None:
        return source
    frozen = freeze(default) if type(default) in (list, dict) else b""
    if frozen:
        names[f"{prefix}b{i}"] = frozen
        return f"{prefix}loads({prefix}b{i})"
    names[f"{prefix}f{i}"] = field
    return f"{prefix}f{i}.get_default()"


def _fallback(attnames: tuple[str, ...], defaults: tuple[Any, ...], base_init: Any) -> Any:
    def fallback(instance: Any, given: tuple[Any, ...], others: dict[str, Any]) -> None:
        values = {a: v for a, v, d in zip(attnames, given, defaults, strict=True) if v is not d}
        base_init(instance, **values, **others)

    return fallback


def can_install(model: type, base: type) -> bool:
    """Whether ``model``'s ``__init__`` may be replaced: no class between it and ``base``
    (``Model``) has an ``__init__`` of its own, other than a generated one."""
    for klass in model.__mro__:
        if klass is base:
            return True
        init = klass.__dict__.get("__init__")
        if init is not None and not getattr(init, GENERATED, False):
            return False
    return False
