"""The pytest plugin in a project of its own, with only its own minimal configuration.

Run in a subprocess from an empty directory, against this run's database
(``AKSARA_TEST_DATABASE_URL``), as a new user would: pytest-asyncio's default loop scopes
(a loop per test), and also with pytest-asyncio missing altogether.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

MODELS = """
from aksara import Model, fields


class FpNote(Model):
    title = fields.String(max_length=50)

    class Meta:
        table_name = "fresh_project_note"
"""

TESTS = """
import pytest

import aksara
from models import FpNote


@pytest.fixture
async def two_notes(db):
    return [await FpNote.objects.create(title=t) for t in ("a", "b")]


async def test_fixture_data_is_there(two_notes):
    assert await FpNote.objects.count() == 2


async def test_each_test_starts_empty(db):
    assert await FpNote.objects.count() == 0
    await FpNote.objects.create(title="c")


async def test_blocks_commit_for_real(transactional_db):
    async with aksara.transaction():
        await FpNote.objects.create(title="d")
    assert await FpNote.objects.filter(title="d").count() == 1


async def test_and_are_truncated(transactional_db):
    assert await FpNote.objects.count() == 0
"""


def _project(tmp_path: Path, config: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "models.py").write_text(textwrap.dedent(MODELS))
    (tmp_path / "test_notes.py").write_text(textwrap.dedent(TESTS))
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(config))
    return tmp_path


def _pytest(
    project: Path, database_url: str, *options: str, path: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AKSARA_TEST_DATABASE_URL": database_url,
        "PYTHONPATH": os.pathsep.join(p for p in (path, str(project)) if p),
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", *options],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_configuration_works_with_pytest_asyncio_defaults(tmp_path, aksara_database):
    project = _project(
        tmp_path,
        """
        [tool.pytest.ini_options]
        asyncio_mode = "auto"
        asyncio_default_fixture_loop_scope = "function"
        """,
    )
    result = _pytest(project, aksara_database.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_without_pytest_asyncio_the_plugin_loads_and_says_what_to_install(
    tmp_path, aksara_database
):
    project = _project(tmp_path / "project", "[tool.pytest.ini_options]\n")
    (project / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    # pytest-asyncio as if it were not installed: its plugin is off, its module cannot load.
    missing = tmp_path / "missing"
    missing.mkdir()
    (missing / "pytest_asyncio.py").write_text("raise ImportError('pytest-asyncio is missing')\n")
    result = _pytest(project, aksara_database.url, "-p", "no:asyncio", path=str(missing))
    output = result.stdout + result.stderr
    assert "1 passed" in output  # a project's other tests are not affected
    assert "pip install 'aksara-orm[testing]'" in output
