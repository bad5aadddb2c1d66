"""The README's "Your first project", run as written from an empty directory.

Its files are written and its commands run in order (``python``, ``alembic`` and ``pytest``
are this interpreter's), against a fresh database given as ``AKSARA_DATABASE_URL`` and
``AKSARA_TEST_DATABASE_URL`` as the README says a user may.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

COMMANDS = {
    "python": [sys.executable],
    "alembic": [sys.executable, "-m", "alembic"],
    "pytest": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
}

BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def walkthrough() -> list[tuple[str, str]]:
    """The section's steps: ("file", path + body) or ("run", command), in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## Your first project")
    section = text[start : text.index("\n## ", start + 1)]
    steps: list[tuple[str, str]] = []
    for block in BLOCK.finditer(section):
        info, body = block["info"].split(), block["body"]
        if info and info[0] == "console":
            steps += [("run", line[2:]) for line in body.splitlines() if line.startswith("$ ")]
        elif len(info) == 2 and info[1].startswith("file="):
            steps.append(("file", f"{info[1][5:]}\n{body}"))
    return steps


def test_the_walkthrough_has_every_step_the_issue_names():
    commands = [value for kind, value in walkthrough() if kind == "run"]
    assert commands[0].startswith("python -m aksara.migrations init")
    assert commands.count("alembic check") == 2
    assert commands[-1].startswith("pytest")


def test_the_first_project_walkthrough_runs_from_an_empty_directory(tmp_path, fresh_database_url):
    project = tmp_path / "project"
    project.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AKSARA_", "PYTEST_", "PYTHON"))
    }
    env |= {
        "AKSARA_DATABASE_URL": fresh_database_url,
        "AKSARA_TEST_DATABASE_URL": fresh_database_url,
    }
    outputs = []
    for kind, value in walkthrough():
        if kind == "file":
            name, _, body = value.partition("\n")
            path = project / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            continue
        program, *arguments = shlex.split(value)
        result = subprocess.run(
            [*COMMANDS[program], *arguments],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"$ {value}\n{output}"
        outputs.append((value, output))

    migrations = {m.name.split("_", 4)[-1]: m for m in project.glob("migrations/versions/*.py")}
    assert set(migrations) == {"posts.py", "featured_posts.py"}
    featured = migrations["featured_posts.py"].read_text()
    assert "server_default=sa.text('false')" in featured and "server_default=None" in featured
    assert "1 posts" in dict(outputs)["python add_posts.py"]
    assert "1 passed" in outputs[-1][1]
