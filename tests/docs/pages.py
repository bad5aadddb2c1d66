"""The documentation's code, as the test suite runs it.

A page's fenced blocks are read in order. ``console`` blocks make a *project page*: blocks
titled with a file name (```` ```python title="blog/models.py" ````) are written to an empty
directory and the ``$ `` lines of console blocks run there, as a reader would type them. On
any other page the ``python`` blocks run one after another in one namespace (top-level
``await`` allowed), in a fresh interpreter against a fresh database given as
``AKSARA_DATABASE_URL``. A block that starts with ``# not run: <why>`` is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_TITLE = re.compile(r'title="([^"]*)"')

#: What a console line's first word runs: this interpreter's tools.
COMMANDS = {
    "python": [sys.executable],
    "alembic": [sys.executable, "-m", "alembic"],
    "pytest": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
}

SKIP = "# not run:"


@dataclass
class Block:
    language: str
    title: str | None
    body: str
    line: int  # of the block's first code line in the page

    @property
    def runs(self) -> bool:
        return not self.body.lstrip().startswith(SKIP)


def blocks(text: str) -> list[Block]:
    found = []
    for match in _FENCE.finditer(text):
        info = match["info"].strip()
        language = info.split(" ", 1)[0].strip("{.}") if info else ""
        title = _TITLE.search(info)
        indent = match["indent"]
        body = "".join(line[len(indent) :] for line in match["body"].splitlines(keepends=True))
        line = text.count("\n", 0, match.start()) + 2
        found.append(Block(language, title[1] if title else None, body, line))
    return found


def is_project(page: list[Block]) -> bool:
    return any(b.language == "console" for b in page)


def environment(database_url: str) -> dict[str, str]:
    """The environment of a reader's shell: none of this run's settings, the page's database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AKSARA_", "PYTEST_", "PYTHON"))
    }
    return env | {"AKSARA_DATABASE_URL": database_url, "AKSARA_TEST_DATABASE_URL": database_url}


def run_project(page: list[Block], directory: Path, database_url: str) -> list[tuple[str, str]]:
    """Write the page's files and run its commands in ``directory``; each command's output."""
    outputs = []
    for block in page:
        if block.language == "console":
            for line in block.body.splitlines():
                if line.startswith("$ "):
                    outputs.append((line[2:], _command(line[2:], directory, database_url)))
        elif block.title is not None and block.runs:
            path = directory / block.title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.body, encoding="utf-8")
    return outputs


def _command(command: str, directory: Path, database_url: str) -> str:
    program, *arguments = shlex.split(command)
    result = subprocess.run(
        [*COMMANDS[program], *arguments],
        cwd=directory,
        env=environment(database_url),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"$ {command}\n{output}"
    return output


_SESSION = r"""
import ast, asyncio, json, sys

async def main():
    namespace = {"__name__": "__main__"}
    for block in json.load(sys.stdin):
        source = "\n" * (block["line"] - 1) + block["code"]
        code = compile(source, block["page"], "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if asyncio.iscoroutine(result):
            await result
    import aksara
    await aksara.disconnect()

asyncio.run(main())
"""


def run_session(page: list[Block], name: str, directory: Path, database_url: str) -> str:
    """Run the page's Python blocks in one interpreter; its output."""
    code = [
        {"page": name, "line": b.line, "code": b.body}
        for b in page
        if b.language in ("python", "py") and b.runs
    ]
    result = subprocess.run(
        [sys.executable, "-c", _SESSION],
        input=json.dumps(code),
        cwd=directory,
        env=environment(database_url),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{name}\n{output}"
    return output
