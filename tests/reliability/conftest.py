"""Fixtures of the reliability tests: a PgBouncer in transaction-pooling mode."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from aksara.db import Database

#: Server connections PgBouncer keeps per database/user pair: fewer than aksara's pool,
#: so client connections take turns on the same server connections.
POOL_SIZE = 3


class PgBouncer:
    """``pgbouncer`` running as a subprocess on 127.0.0.1, in front of one PostgreSQL."""

    def __init__(
        self, process: subprocess.Popen[bytes], directory: Path, port: int, pool_size: int
    ) -> None:
        self.process = process
        self.directory = directory
        self.port = port
        #: Server connections per database/user pair.
        self.pool_size = pool_size

    def url(self, user: str, database: str) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_address(url: str) -> tuple[str, int, str, str]:
    """``(host or socket directory, port, user, database)`` of a PostgreSQL URL."""
    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    return host, port, parts.username or "postgres", parts.path.lstrip("/") or "postgres"


def start_pgbouncer(url: str, *, pool_size: int = POOL_SIZE) -> PgBouncer:
    """Start PgBouncer (``pool_mode = transaction``, trust auth) in front of ``url``'s server.

    PgBouncer refuses to run as root: as root it runs as the owner of the server's socket
    directory (else ``postgres`` or ``nobody``), with its files in a temporary directory owned
    by that user.
    """
    executable = shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None
    )
    if executable is None:
        message = (
            "pgbouncer is not installed: the transaction-pooling tests need it "
            "(Debian: apt-get install pgbouncer; .ci/run installs it)"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        # A developer machine with only Python and pip still runs the rest of the suite.
        pytest.skip(message)
    host, server_port, user, _ = _server_address(url)
    directory = Path(tempfile.mkdtemp(prefix="aksara-pgbouncer-"))
    port = _free_port()
    (directory / "users.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={host} port={server_port} user={user}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {directory / 'users.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {pool_size}\n"
        "min_pool_size = 0\n"
        "reserve_pool_size = 0\n"
        "max_client_conn = 200\n"
        "ignore_startup_parameters = extra_float_digits,statement_timeout\n"
        f"logfile = {directory / 'pgbouncer.log'}\n"
        f"pidfile = {directory / 'pgbouncer.pid'}\n"
    )
    run_as: dict[str, int] = {}
    if os.geteuid() == 0:
        account = _unprivileged_account(host)
        os.chown(directory, account.pw_uid, account.pw_gid)
        for child in directory.iterdir():
            os.chown(child, account.pw_uid, account.pw_gid)
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    with open(directory / "stderr.txt", "wb") as stderr:
        process = subprocess.Popen(
            [executable, "-q", str(directory / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            **run_as,  # type: ignore[arg-type]
        )
    bouncer = PgBouncer(process, directory, port, pool_size)
    deadline = time.monotonic() + 10
    while True:
        if process.poll() is not None:
            log = (directory / "stderr.txt").read_text(errors="replace") + bouncer.log()
            bouncer.stop()
            pytest.fail(f"pgbouncer exited ({process.returncode}):\n{log}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return bouncer
        except OSError:
            if time.monotonic() > deadline:
                log = bouncer.log()
                bouncer.stop()
                pytest.fail(f"pgbouncer did not listen on port {port}:\n{log}", pytrace=False)
            time.sleep(0.02)


def _unprivileged_account(host: str) -> pwd.struct_passwd:
    if host.startswith("/"):
        # The embedded server keeps its socket in its private data directory: only its owner
        # gets in.
        owner = os.stat(host).st_uid
        if owner != 0:
            return pwd.getpwuid(owner)
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    pytest.fail("pgbouncer cannot run as root and there is no postgres or nobody user")


@pytest.fixture(scope="session")
def pgbouncer(aksara_database: Database) -> Iterator[PgBouncer]:
    """PgBouncer in transaction-pooling mode in front of the session's PostgreSQL."""
    bouncer = start_pgbouncer(aksara_database.url)
    try:
        yield bouncer
    finally:
        bouncer.stop()
