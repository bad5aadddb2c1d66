"""The package's shape: layers import downward only, and no module or function grows too big.

Every ``import`` in ``src/aksara`` is read, function-local ones included (they hide a
dependency, they do not remove it). Imports under ``if TYPE_CHECKING:`` are left out: they
never run, and annotations may name a class of any layer. ``ARCHITECTURE.md`` draws the
same picture for readers.
"""

from __future__ import annotations

import ast
import pathlib
from collections.abc import Iterator

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "aksara"

#: Lowest layer first. A module may import modules of a lower layer and modules of its own
#: unit (the entry it matches here); nothing above it, and no other unit of its layer.
LAYERS: list[tuple[str, ...]] = [
    (
        "aksara._typing",
        "aksara._version",
        "aksara.exceptions",
        "aksara._concurrency",
        "aksara._codegen",
        "aksara._cache",
        "aksara._json",
    ),
    ("aksara._sa_compat", "aksara.conf"),
    ("aksara.types", "aksara.registry", "aksara.state"),
    ("aksara.db",),
    ("aksara.storage", "aksara.core", "aksara.schema"),
    ("aksara.fields",),
    ("aksara.models",),
    ("aksara.query",),
    ("aksara.ai", "aksara.contrib", "aksara.migrations", "aksara.testing"),
    ("aksara",),
]

#: The one deliberate upward edge (see ARCHITECTURE.md): ``Model.save()``, ``Model.objects``
#: and the other active-record methods of ``Model`` run queries.
SEAMS = {("aksara.models.base", "aksara.query")}

#: Lower layers that a unit may still not import: fields and models never run SQL (they
#: reach the database through the query layer, and files through storage).
FORBIDDEN = {("aksara.fields", "aksara.db"), ("aksara.models", "aksara.db")}

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _unit(module: str) -> tuple[int, str]:
    best: tuple[int, str] | None = None
    for rank, units in enumerate(LAYERS):
        for unit in units:
            if (module == unit or module.startswith(unit + ".")) and (
                best is None or len(unit) > len(best[1])
            ):
                best = (rank, unit)
    assert best is not None, f"{module} is in no layer of LAYERS"
    return best


def _modules() -> Iterator[tuple[str, pathlib.Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


MODULES = {module for module, _ in _modules()}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                hidden.update(id(n) for child in node.body for n in ast.walk(child))
    return hidden


def _imports(module: str, path: pathlib.Path) -> Iterator[tuple[str, int]]:
    """``(imported module, line)`` for every import that runs, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_nodes(tree)
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                # ``from aksara.query import persist`` imports a submodule (its package runs
                # first, as for any import of a submodule); ``from aksara import Model`` takes a
                # name of the package itself.
                submodule = f"{target}.{alias.name}"
                yield (submodule if submodule in MODULES else target), node.lineno


def edges() -> list[tuple[str, str, int]]:
    found = []
    for module, path in _modules():
        for target, line in _imports(module, path):
            if target == "aksara" or target.startswith("aksara."):
                found.append((module, target, line))
    return found


def test_layers_import_downward_only() -> None:
    wrong = []
    for module, target, line in edges():
        rank, unit = _unit(module)
        target_rank, target_unit = _unit(target)
        if (unit, target_unit) in FORBIDDEN:
            wrong.append(f"{module}:{line} imports {target} ({unit} never runs SQL)")
            continue
        if unit == target_unit or target_rank < rank:
            continue
        if (module, target_unit) in SEAMS:
            continue
        wrong.append(f"{module}:{line} imports {target} ({unit} may not import {target_unit})")
    assert not wrong, "\n".join(wrong)


def test_the_seam_is_only_in_model_base() -> None:
    """The models → query seam is used by ``models/base.py`` and nowhere else in ``models``."""
    users = {
        m for m, t, _ in edges() if m.startswith("aksara.models") and t.startswith("aksara.query")
    }
    assert users <= {"aksara.models.base"}


def test_no_import_cycles_inside_a_unit() -> None:
    """Modules of one unit (``query``, ``fields``, ``db``, ...) form no cycle either."""
    graph: dict[str, set[str]] = {}
    for module, target, _ in edges():
        if _unit(module)[1] == _unit(target)[1] and target != module:
            graph.setdefault(module, set()).add(target)
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_module_size() -> None:
    long = []
    for module, path in _modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            long.append(f"{module} has {lines} lines; split it by concern")
    assert not long, "\n".join(long)


def test_function_size() -> None:
    long = []
    for module, path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name} ({length} lines)")
    assert not long, "\n".join(long)
