"""``python -m aksara.migrations init DIRECTORY``: a migrations directory and alembic.ini for aksara.

Alembic's ``alembic init -t NAME`` only finds the templates inside Alembic, so aksara's
template (an ``env.py`` that is one call to ``run_environment``) is written by this command,
through Alembic's own ``init``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError

TEMPLATE = Path(__file__).with_name("template")

_MODULES = re.compile(r"[A-Za-z_][\w.]*(?:[\s,]+[A-Za-z_][\w.]*)*")


class _AksaraTemplates(Config):
    def get_template_directory(self) -> str:
        return str(TEMPLATE.parent)


def init(
    directory: str | Path,
    *,
    models: str | None = None,
    config_file: str | Path = "alembic.ini",
    package: bool = False,
) -> Path:
    """Write aksara's migration environment to ``directory`` and ``config_file``; return the ini.

    ``models`` (``"blog.models, shop.models"``) is written as ``aksara_models`` in a new
    ini file. An existing ini file is left as it is (Alembic's rule), as is a directory that
    is not empty (``CommandError``).
    """
    if models is not None and not _MODULES.fullmatch(models.strip()):
        raise CommandError(f"--models takes module names separated by commas, not {models!r}")
    ini = Path(config_file)
    if not ini.parent.is_dir():
        raise CommandError(f"{ini.parent} does not exist: create it, or name another ini file")
    existed = ini.exists()
    command.init(
        _AksaraTemplates(str(ini)), str(directory), template=TEMPLATE.name, package=package
    )
    if models and not existed:
        text = ini.read_text(encoding="utf-8")
        names = ", ".join(re.split(r"[\s,]+", models.strip()))
        line = f"aksara_models = {names}"
        ini.write_text(re.sub(r"(?m)^aksara_models =$", line, text, count=1), encoding="utf-8")
    return ini


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aksara.migrations", description="Migrations for aksara models."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init_parser = commands.add_parser(
        "init", help="write alembic.ini and a migrations directory whose env.py reads your models"
    )
    init_parser.add_argument("directory", help="the migrations directory, e.g. migrations")
    init_parser.add_argument("--models", help='your models\' modules: "blog.models, shop.models"')
    init_parser.add_argument("-c", "--config", default="alembic.ini", help="the ini file to write")
    init_parser.add_argument(
        "--package", action="store_true", help="write __init__.py files into the directory"
    )
    args = parser.parse_args(argv)
    kept = Path(args.config).exists()
    try:
        ini = init(
            args.directory, models=args.models, config_file=args.config, package=args.package
        )
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if kept and args.models:
        print(f"{ini} exists and was kept: set aksara_models = {args.models} in it yourself.")
    elif not args.models:
        print(f"Now name your models' modules as aksara_models in {ini}.")
    print('Then: alembic revision --autogenerate -m "first models" && alembic upgrade head')
    return 0
