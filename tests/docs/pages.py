"""The documentation's code, as the test suite runs it.

A page's fenced blocks are read in order. ``console`` blocks make a *project page*: blocks
titled with a file name (```` ```python title="blog/models.py" ````) are written to an empty
directory and the ``$ `` lines of console blocks run there, as a reader would type them. On
any other page the ``python`` blocks run one after another in one namespace (top-level
``await`` allowed), in a fresh interpreter against a fresh database given as
``AKSARA_DATABASE_URL``. A block that starts with ``# not run: <why>`` is skipped.

A page that needs PostgreSQL extensions beyond ``vector`` names them,
``<!-- extensions: pg_trgm -->``: on a server of your own without them the page is skipped
(the embedded server has them all, so there it must run).

A page that needs a server names it in an HTML comment, ``<!-- services: smtp, s3 -->``;
``start_services`` runs each on 127.0.0.1 for that page's run only (and stops it after) and
hands the page's interpreter its address as the ``AKSARA_*`` variables aksara's settings
read:

- ``smtp``: an aiosmtpd server (``aksara.testing.mail.SMTPTestServer``, plain, no AUTH):
  ``AKSARA_EMAIL_HOST``, ``AKSARA_EMAIL_PORT``. The page must send it at least one message.
- ``s3``: moto's S3 server (``aksara.testing.media.run_moto_s3``) with an empty bucket:
  ``AKSARA_MEDIA_S3_ENDPOINT_URL``, ``AKSARA_MEDIA_S3_BUCKET``, ``AKSARA_MEDIA_S3_REGION``,
  ``AKSARA_MEDIA_S3_ACCESS_KEY_ID``, ``AKSARA_MEDIA_S3_SECRET_ACCESS_KEY`` (dummy ones). The
  page must leave at least one object in the bucket. ``media_storage`` is left to the page.
- ``pgbouncer``: PgBouncer in transaction-pooling mode in front of the page's database
  (``tests.reliability.conftest.start_pgbouncer``): ``AKSARA_DATABASE_URL`` points at it
  instead. The page must log in through it.
- ``replica``: a streaming replica of the embedded test server (``tests.replica``), with the
  page's database: ``REPLICA_DATABASE_URL``. The page must run transactions on it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_TITLE = re.compile(r'title="([^"]*)"')
_SERVICES = re.compile(r"<!--\s*services:(?P<names>[^>]*?)-->")
_EXTENSIONS = re.compile(r"<!--\s*extensions:(?P<names>[^>]*?)-->")

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


def services(text: str) -> list[str]:
    """The services a page asks for with ``<!-- services: smtp, s3 -->``."""
    names = (n.strip() for m in _SERVICES.finditer(text) for n in m["names"].split(","))
    return list(dict.fromkeys(n for n in names if n))


def extensions(text: str) -> list[str]:
    """The PostgreSQL extensions a page needs, ``<!-- extensions: pg_trgm -->``."""
    return [
        n.strip() for m in _EXTENSIONS.finditer(text) for n in m["names"].split(",") if n.strip()
    ]


def uses_embedded_server() -> bool:
    """Whether this run's server is aksara's embedded one (which has every contrib extension)."""
    return not os.environ.get("AKSARA_TEST_DATABASE_URL")


def missing_extensions(database_url: str, names: list[str]) -> list[str]:
    """Those of ``names`` the server cannot create (a server of your own may lack contrib)."""
    if not names:
        return []
    import asyncio

    import asyncpg

    async def available() -> set[str]:
        url = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT name FROM pg_available_extensions")
        finally:
            await conn.close()
        return {r["name"] for r in rows}

    found = asyncio.run(available())
    return [n for n in names if n not in found]


@dataclass
class Services:
    """The servers running for a page, and the variables that point its interpreter at them."""

    env: dict[str, str] = field(default_factory=dict)
    smtp: Any = None  # aksara.testing.mail.SMTPTestServer
    s3: Any = None  # aksara.testing.media.S3Server
    pgbouncer: Any = None  # tests.reliability.conftest.PgBouncer
    replica: Any = None  # tests.replica.Replica

    def check_used(self) -> None:
        """A page asking for a server uses it: mail received, objects left in the bucket."""
        if self.smtp is not None:
            assert self.smtp.messages, "the page asks for smtp but sends it nothing"
        if self.s3 is not None:
            client = self.s3.client()
            try:
                listed = client.list_objects_v2(Bucket=self.s3.bucket)
            finally:
                client.close()
            assert listed.get("KeyCount"), "the page asks for s3 but stores nothing there"
        if self.replica is not None:
            assert "connection authorized" in self.replica.log(), (
                "the page asks for a replica but never connects to it"
            )
        if self.pgbouncer is not None:
            assert "login attempt" in self.pgbouncer.log(), (
                "the page asks for pgbouncer but never connects through it"
            )


@contextmanager
def start_services(names: list[str], database_url: str) -> Iterator[Services]:
    """Run the named services on 127.0.0.1 (see the module's docstring); stop them after."""
    running = Services()
    with ExitStack() as stack:
        for name in names:
            if name == "replica":
                from tests.replica import start_replica

                replica = running.replica = start_replica(database_url)
                stack.callback(replica.stop)
                running.env["REPLICA_DATABASE_URL"] = replica.url(database_url)
                continue
            if name == "pgbouncer":
                from sqlalchemy.engine import make_url

                from tests.reliability.conftest import start_pgbouncer

                bouncer = running.pgbouncer = start_pgbouncer(database_url)
                stack.callback(bouncer.stop)
                target = make_url(database_url)
                through = bouncer.url(target.username or "postgres", target.database or "postgres")
                running.env["AKSARA_DATABASE_URL"] = through
                continue
            if name == "smtp":
                from aksara.testing.mail import SMTPTestServer

                smtp = running.smtp = stack.enter_context(SMTPTestServer())
                running.env |= {"AKSARA_EMAIL_HOST": smtp.host, "AKSARA_EMAIL_PORT": str(smtp.port)}
            elif name == "s3":
                from aksara.testing.media import run_moto_s3

                # One process shares moto's state between its servers: a bucket of its own.
                bucket = f"aksara-docs-{uuid.uuid4().hex[:12]}"
                s3 = running.s3 = stack.enter_context(run_moto_s3(bucket=bucket))
                running.env |= {
                    "AKSARA_MEDIA_S3_ENDPOINT_URL": s3.endpoint_url,
                    "AKSARA_MEDIA_S3_BUCKET": s3.bucket,
                    "AKSARA_MEDIA_S3_REGION": s3.region,
                    "AKSARA_MEDIA_S3_ACCESS_KEY_ID": s3.access_key_id,
                    "AKSARA_MEDIA_S3_SECRET_ACCESS_KEY": s3.secret_access_key,
                }
            else:
                raise ValueError(f"unknown service {name!r} (known: smtp, s3, pgbouncer, replica)")
        yield running


def environment(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a reader's shell: none of this run's settings, the page's database
    (and the addresses of the page's services, ``extra``)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AKSARA_", "PYTEST_", "PYTHON"))
    }
    env |= {"AKSARA_DATABASE_URL": database_url, "AKSARA_TEST_DATABASE_URL": database_url}
    return env | dict(extra or {})


def run_project(
    page: list[Block], directory: Path, database_url: str, env: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """Write the page's files and run its commands in ``directory``; each command's output."""
    outputs = []
    for block in page:
        if block.language == "console":
            for line in block.body.splitlines():
                if line.startswith("$ "):
                    outputs.append((line[2:], _command(line[2:], directory, database_url, env)))
        elif block.title is not None and block.runs:
            path = directory / block.title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.body, encoding="utf-8")
    return outputs


def _command(
    command: str, directory: Path, database_url: str, env: Mapping[str, str] | None = None
) -> str:
    program, *arguments = shlex.split(command)
    argv = [*COMMANDS[program], *arguments]
    return _run(argv, directory, environment(database_url, env), f"$ {command}")


def _run(argv: list[str], directory: Path, env: dict[str, str], label: str, stdin: str = "") -> str:
    """Run ``argv`` in ``directory``; its output, which a failure shows under ``label``."""
    result = subprocess.run(
        argv,
        input=stdin,
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{label}\n{output}"
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


def run_session(
    page: list[Block],
    name: str,
    directory: Path,
    database_url: str,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run the page's Python blocks in one interpreter; its output."""
    code = [
        {"page": name, "line": b.line, "code": b.body}
        for b in page
        if b.language in ("python", "py") and b.runs
    ]
    argv = [sys.executable, "-c", _SESSION]
    return _run(argv, directory, environment(database_url, env), name, json.dumps(code))
