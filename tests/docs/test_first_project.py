"""The tutorial's first project, run as written from an empty directory: what it must show."""

from tests.docs.pages import DOCS, blocks, run_project

PAGE = DOCS / "tutorial" / "first-project.md"


def test_the_walkthrough_has_every_step_a_first_project_needs():
    commands = [
        line[2:]
        for block in blocks(PAGE.read_text(encoding="utf-8"))
        if block.language == "console"
        for line in block.body.splitlines()
        if line.startswith("$ ")
    ]
    assert commands[0].startswith("python -m aksara.migrations init")
    assert commands.count("alembic check") == 2
    assert commands[-1].startswith("pytest")
    files = {b.title for b in blocks(PAGE.read_text(encoding="utf-8")) if b.title}
    assert {"blog/models.py", "blog/app.py", "tests/test_posts.py", "tests/test_api.py"} <= files


def test_the_first_project_runs_from_an_empty_directory(tmp_path, fresh_database_url):
    outputs = run_project(blocks(PAGE.read_text(encoding="utf-8")), tmp_path, fresh_database_url)
    migrations = {m.name.split("_", 4)[-1]: m for m in tmp_path.glob("migrations/versions/*.py")}
    assert set(migrations) == {"posts.py", "featured_posts.py", "attachments.py"}
    featured = migrations["featured_posts.py"].read_text()
    assert "server_default=sa.text('false')" in featured and "server_default=None" in featured
    attachments = migrations["attachments.py"].read_text()
    assert "sa.Column('attachment', sa.String(length=500), nullable=True)" in attachments
    ran = dict(outputs)
    assert "1 posts" in ran["python add_posts.py"]
    runs = [output for command, output in outputs if command == "pytest -q"]
    assert "1 passed" in runs[0]
    assert "3 passed" in runs[1]  # with the API's two tests
