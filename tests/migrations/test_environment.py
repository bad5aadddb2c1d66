"""The repository's alembic.ini and env.py from the command line: models from AKSARA_MODELS,
the database from AKSARA_DATABASE_URL, online and offline (--sql) runs."""

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aksara.migrations import context_options, database_url, import_models
from aksara.migrations.autogenerate import process_revision_directives

REPOSITORY = Path(__file__).resolve().parents[2]

MODELS = """
from aksara import Model, fields


class CliAuthor(Model):
    name = fields.String(max_length=100)
    email = fields.String(max_length=200, unique=True)


class CliPost(Model):
    title = fields.String(max_length=200, db_index=True)
    body = fields.Text(default="")
"""

DRIVER = """
import sys
from alembic.config import main

ini = sys.argv[1]
main(["-c", ini, "upgrade", "head", "--sql"])  # nothing to do offline yet: no revisions
main(["-c", ini, "revision", "--autogenerate", "-m", "first models", "--rev-id", "0001"])
main(["-c", ini, "upgrade", "head", "--sql"])
main(["-c", ini, "upgrade", "head"])
main(["-c", ini, "check"])
main(["-c", ini, "current"])
"""


def copy_alembic_ini(target: Path, versions: Path) -> Path:
    """The repository's alembic.ini, pointing at its env.py and at revisions in ``versions``."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(REPOSITORY / "alembic.ini")
    parser["alembic"]["script_location"] = str(REPOSITORY / "alembic")
    parser["alembic"]["version_locations"] = str(versions)
    assert "sqlalchemy.url" not in parser["alembic"]  # the URL comes from the environment
    with target.open("w") as f:
        parser.write(f)
    return target


def test_alembic_command_line_with_models_and_url_from_the_environment(
    fresh_database_url, tmp_path
):
    versions = tmp_path / "versions"
    versions.mkdir()
    (tmp_path / "cli_models.py").write_text(MODELS)
    ini = copy_alembic_ini(tmp_path / "alembic.ini", versions)
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "AKSARA_MODELS": "cli_models",
        "AKSARA_DATABASE_URL": fresh_database_url,
    }
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(ini)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (script,) = versions.glob("*0001_first_models.py")
    text = script.read_text()
    assert "op.create_table('cli_author'" in text and "op.create_table('cli_post'" in text
    assert "CREATE EXTENSION" not in text  # no vector column
    assert "CREATE TABLE cli_post" in result.stdout  # the offline --sql run
    assert "0001 (head)" in result.stdout + result.stderr  # `current` after the upgrade
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_import_models_accepts_a_comma_separated_list():
    assert import_models(None) == []
    assert import_models(" tests.migrations.models, json ") == ["tests.migrations.models", "json"]
    with pytest.raises(ModuleNotFoundError):
        import_models("no_such_models_module")


def test_database_url_prefers_the_given_url_then_settings():
    from aksara.conf import configure, get_settings

    assert database_url("postgresql://u:p@db/app") == "postgresql+asyncpg://u:p@db/app"
    saved = get_settings()
    configure(database_url="postgres://u@db/configured")
    try:
        assert database_url() == "postgresql+asyncpg://u@db/configured"
    finally:
        configure(saved)


def test_context_options_keep_your_own_revision_directives_hook():
    calls = []

    def mine(context, revision, directives):
        calls.append("mine")

    options = context_options(process_revision_directives=mine, compare_server_default=True)
    assert options["compare_server_default"] is True
    assert options["process_revision_directives"] is not process_revision_directives
    options["process_revision_directives"](None, None, [])
    assert calls == ["mine"]
    assert context_options()["process_revision_directives"] is process_revision_directives
