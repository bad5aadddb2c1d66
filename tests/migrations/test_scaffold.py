"""``python -m aksara.migrations init``: aksara's migration environment, through Alembic's init."""

import configparser
import subprocess
import sys

import pytest
from alembic.util import CommandError

from aksara.migrations import scaffold


def read_ini(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser


def test_init_writes_an_ini_naming_the_models_and_an_env_that_runs_aksaras(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "aksara.migrations", "init", "migrations", "--models", "a.m b.m"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    ini = read_ini(tmp_path / "alembic.ini")["alembic"]
    assert ini["aksara_models"] == "a.m, b.m"
    assert ini["script_location"] == "%(here)s/migrations"
    assert "sqlalchemy.url" not in ini  # the URL comes from aksara's settings
    env = (tmp_path / "migrations" / "env.py").read_text()
    assert "run_environment(context)" in env
    assert (tmp_path / "migrations" / "script.py.mako").exists()
    assert (tmp_path / "migrations" / "versions").is_dir()
    assert "alembic revision --autogenerate" in result.stdout


def test_without_models_the_ini_says_where_to_name_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert scaffold.main(["init", "migrations"]) == 0
    assert read_ini(tmp_path / "alembic.ini")["alembic"]["aksara_models"] == ""


def test_an_existing_ini_is_kept_and_a_directory_in_use_is_refused(tmp_path, capsys):
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = elsewhere\naksara_models =\n")
    scaffold.init(tmp_path / "migrations", models="blog.models", config_file=ini)
    assert read_ini(ini)["alembic"]["script_location"] == "elsewhere"
    assert read_ini(ini)["alembic"]["aksara_models"] == ""  # not rewritten
    code = scaffold.main(["init", str(tmp_path / "migrations"), "-c", str(ini)])
    assert code == 1
    assert "already exists and is not empty" in capsys.readouterr().err
    assert scaffold.main(["init", str(tmp_path / "other"), "-c", str(ini), "--models", "b.m"]) == 0
    assert "was kept: set aksara_models = b.m in it yourself" in capsys.readouterr().out


def test_an_ini_in_a_missing_directory_is_refused_before_anything_is_written(tmp_path, capsys):
    code = scaffold.main(["init", str(tmp_path / "m"), "-c", str(tmp_path / "sub" / "alembic.ini")])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("models", ["blog.models\n[alembic]", "blog-models", "x; rm", ""])
def test_models_must_be_module_names(tmp_path, models):
    with pytest.raises(CommandError, match="module names"):
        scaffold.init(tmp_path / "m", models=models, config_file=tmp_path / "alembic.ini")
    assert not (tmp_path / "alembic.ini").exists()
