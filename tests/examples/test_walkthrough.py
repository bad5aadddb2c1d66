"""The README's demo: the scripted walkthrough, the committed migration, and examples/demo.py itself."""

import asyncio
import os
import subprocess
import sys

import sqlalchemy as sa
from alembic import command

import aksara
from examples.library.migrations import REPOSITORY, alembic_config
from examples.library.walkthrough import walkthrough


async def test_walkthrough_runs_every_step_against_the_app(client, media_root, mailoutbox):
    lines: list[str] = []
    await walkthrough(client, out=lines.append)
    output = "\n".join(lines)
    assert "-> 409 The request conflicts" in output and "uq_library_author_email" in output
    assert "tagged 'postgres': ['PostgreSQL indexes: B-tree, GIN and HNSW', 'Tuning" in output
    similar = [line for line in lines if line.startswith("  -> 0.")]
    assert [line.split("  ")[-1] for line in similar] == [
        "PostgreSQL indexes: B-tree, GIN and HNSW",
        "Sourdough bread at home",
    ]
    assert "-> 200 library_asset_update: 'Sourdough bread at home' is archived" in output
    assert "-> 403 LibraryAsset.embedding is read-only for agents" in output
    assert output.endswith("the uploaded file is gone (404)")
    assert [mail.subject for mail in mailoutbox] == ["Welcome to the library"]
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


def library_metadata() -> sa.MetaData:
    """The example's tables only (the test session's metadata also holds every test model)."""
    metadata = sa.MetaData(naming_convention=aksara.metadata.naming_convention)
    for table in aksara.metadata.sorted_tables:
        if table.name.startswith("library_"):
            table.to_metadata(metadata)
    return metadata


async def test_committed_migration_upgrades_a_fresh_database_without_drift(fresh_database_url):
    config = alembic_config(fresh_database_url)
    config.attributes["target_metadata"] = library_metadata()
    # env.py runs its own event loop, as under the alembic command line.
    await asyncio.to_thread(command.upgrade, config, "head")
    await asyncio.to_thread(command.check, config)  # raises when the models differ
    await asyncio.to_thread(command.downgrade, config, "base")


def test_demo_script_runs_twice_on_the_same_database(fresh_database_url, tmp_path):
    env = {
        **os.environ,
        "AKSARA_DATABASE_URL": fresh_database_url,
        "AKSARA_MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("AKSARA_MODELS", None)
    for run in range(2):
        result = subprocess.run(
            [sys.executable, "examples/demo.py"],
            cwd=REPOSITORY,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Subject: Welcome to the library" in result.stdout  # the console mail backend
        assert result.stdout.startswith("alembic upgrade head") and "Done." in result.stdout
        upgraded = "Running upgrade  -> " in result.stderr
        assert upgraded == (run == 0)  # the second run finds the database at head
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []
