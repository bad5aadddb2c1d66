"""The one place where aksara turns generated Python source into functions.

Hot paths (row builders, argument lists, validators, snapshots) are small functions
generated per model and shape. Each is compiled here, as attrs does in ``_make_method``:
its source is registered with ``linecache`` under a name of its own, so a traceback through
it shows the real lines, and the entry goes when the function does.

Names that appear in the source as identifiers (attribute names such as ``o.title``) must
be written as themselves: Python reads identifiers in NFKC form, so ``ﬁeld`` (with the
ligature) in source means ``field``. ``identifier()`` refuses such names.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import unicodedata
import weakref
from collections.abc import Callable
from typing import Any

_counter = itertools.count(1)


def is_identifier(name: str) -> bool:
    """True when ``name`` written in source is read back as this very name."""
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and unicodedata.normalize("NFKC", name) == name
    )


def identifier(name: str) -> str:
    """``name``, to be written as an identifier in generated source; ``ValueError`` when Python
    would read it as another name (or not as a name)."""
    if not is_identifier(name):
        raise ValueError(f"{name!r} cannot be written as a Python identifier")
    return name


def make_function(source: str, namespace: dict[str, Any], description: str) -> Callable[..., Any]:
    """Compile ``source``, which defines one function, in ``namespace``; return the function.

    ``description`` names the source in tracebacks (``<aksara row builder for Post #3>``).
    """
    name = source[4 : source.index("(")] if source.startswith("def ") else ""
    if not name.isidentifier():
        raise ValueError("generated source must start with 'def <name>('")
    filename = f"<aksara {description} #{next(_counter)}>"
    code = compile(source, filename, "exec")
    exec(code, namespace)
    function: Callable[..., Any] = namespace[name]
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(function, linecache.cache.pop, filename, None)
    return function
