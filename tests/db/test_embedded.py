"""The embedded server's fallback: PostgreSQL binaries found on the machine, without pgserver."""

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
    assert "AKSARA_DATABASE_URL" in message and 'pip install "aksara[embedded]"' in message
