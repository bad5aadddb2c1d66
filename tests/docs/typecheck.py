"""The documentation's code, type-checked as a reader's project would be: ``python -m
tests.docs.typecheck`` (CI runs it after the package's own checks).

Each page's Python blocks are written out as one module, in order, the way they run (see
``tests/docs/pages.py``): a page that runs as one session becomes the body of an ``async def``
(its top-level ``await`` is legal there), and a project page's titled files are written to a
directory of their own, as the reader writes them (a file the page writes twice is checked as
it is last written). mypy and basedpyright then check every module in their default modes,
the way most projects run them: mypy with ``check_untyped_defs``, so that the bodies of
examples without annotations are checked too, and ``allow_redefinition``, since a page, like
a notebook, reuses a name such as ``post`` for a value of another type further down.
``tests/typing`` holds the strict checks of aksara's own types. An error is reported at the page's line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs.pages import DOCS, Block, blocks, is_project

ROOT = DOCS.parent
PYTHON = ("python", "py")

_MYPY_CONFIG = """\
[mypy]
python_version = 3.11
check_untyped_defs = True
allow_redefinition = True
ignore_missing_imports = True
warn_unused_ignores = True
"""


@dataclass
class Source:
    """A checked module and, for each of its lines, the page line it came from."""

    path: Path
    page: str
    lines: dict[int, int] = field(default_factory=dict)


def session_module(page: list[Block], name: str, path: Path) -> Source:
    """A session page's blocks as the body of one ``async def`` (future imports hoisted)."""
    source = Source(path, name)
    out = ["from __future__ import annotations", "", "", "async def _page() -> None:", "    pass"]
    for block in page:
        if block.language not in PYTHON or not block.runs:
            continue
        for offset, line in enumerate(block.body.splitlines()):
            if line.strip() == "from __future__ import annotations":
                line = ""
            out.append(textwrap.indent(line, "    ") if line.strip() else "")
            source.lines[len(out)] = block.line + offset
        out.append("    pass")  # a block of only comments leaves the function well formed
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return source


def project_modules(page: list[Block], name: str, directory: Path) -> list[Source]:
    """A project page's titled Python files, written to ``directory`` as the page leaves them."""
    last: dict[str, Block] = {}
    for block in page:
        if block.language in PYTHON and block.runs and block.title:
            last[block.title] = block
    sources = []
    for title, block in last.items():
        path = directory / title
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.body, encoding="utf-8")
        lines = {n + 1: block.line + n for n in range(block.body.count("\n") + 1)}
        sources.append(Source(path, name, lines))
    return sources


def write_pages(root: Path) -> tuple[list[Source], list[Path]]:
    """Every page (and the README) as modules under ``root``; the project directories."""
    sources: list[Source] = []
    projects: list[Path] = []
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    (root / "sessions").mkdir()
    for number, page_path in enumerate(pages):
        page = blocks(page_path.read_text(encoding="utf-8"))
        name = str(page_path.relative_to(ROOT))
        if is_project(page):
            directory = root / f"project_{number}"
            directory.mkdir()
            sources += project_modules(page, name, directory)
            projects.append(directory)
        elif any(b.language in PYTHON and b.runs for b in page):
            module = re.sub(r"\W", "_", name.removesuffix(".md")).lower()
            sources.append(session_module(page, name, root / "sessions" / f"{module}.py"))
    return sources, projects


_LOCATION = re.compile(r"^(?P<path>[^:\s]+\.py):(?P<line>\d+)(?P<rest>:.*)$")


def to_page(output: str, sources: list[Source], base: Path) -> list[str]:
    """The checker's error lines, each pointed at its page and line."""
    by_path = {s.path.resolve(): s for s in sources}
    found = []
    for raw in output.splitlines():
        match = _LOCATION.match(raw.strip())
        if match is None or not match["rest"].startswith(": error:"):
            continue
        path = Path(match["path"])
        source = by_path.get((path if path.is_absolute() else base / path).resolve())
        if source is None:
            continue
        line = source.lines.get(int(match["line"]), 0)
        found.append(f"{source.page}:{line}{match['rest']}")
    return found


def run_mypy(root: Path, sources: list[Source], projects: list[Path]) -> list[str]:
    """mypy over the session modules, then over each project (whose module names may clash)."""
    config = root / "mypy.ini"
    config.write_text(_MYPY_CONFIG, encoding="utf-8")
    errors: list[str] = []
    for directory, targets in [(root, ["sessions"]), *((p, ["."]) for p in projects)]:
        argv = [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-incremental"]
        result = subprocess.run(
            [*argv, *targets], cwd=directory, capture_output=True, text=True, check=False
        )
        found = to_page(result.stdout, sources, directory)
        if result.returncode not in (0, 1) or (result.returncode == 1 and not found):
            raise RuntimeError(f"mypy could not run:\n{result.stdout}{result.stderr}")
        errors += found
    return [f"mypy: {e}" for e in errors]


def run_pyright(root: Path, sources: list[Source], projects: list[Path]) -> list[str]:
    """basedpyright over every module: each project is an environment rooted at itself."""
    config = {
        "typeCheckingMode": "standard",
        "pythonVersion": "3.11",
        "reportUnnecessaryTypeIgnoreComment": "error",
        "executionEnvironments": [{"root": p.name} for p in projects] + [{"root": "."}],
    }
    (root / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    argv = [sys.executable, "-m", "basedpyright", "--pythonpath", sys.executable]
    result = subprocess.run(
        [*argv, "--outputjson"], cwd=root, capture_output=True, text=True, check=False
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"basedpyright could not run:\n{result.stdout}{result.stderr}") from None
    lines = []
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] != "error":
            continue
        line = diagnostic["range"]["start"]["line"] + 1
        rule = diagnostic.get("rule", "")
        message = diagnostic["message"].replace("\n", " ")
        lines.append(f"{diagnostic['file']}:{line}: error: {message} [{rule}]")
    return [f"pyright: {e}" for e in to_page("\n".join(lines), sources, root)]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="aksara-docs-types-") as temporary:
        root = Path(temporary)
        sources, projects = write_pages(root)
        errors = run_mypy(root, sources, projects) + run_pyright(root, sources, projects)
    for error in errors:
        print(error)
    pages = len({s.page for s in sources})
    print(f"{len(errors)} type errors in the examples of {pages} pages")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
