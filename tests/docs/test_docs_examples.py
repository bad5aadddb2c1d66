"""Every page of ``docs/`` runs: its Python blocks in order, or, on a project page, its files
and commands from an empty directory, with the servers it asks for (``<!-- services: smtp,
s3 -->``) running (see ``tests/docs/pages.py``)."""

import pytest

from tests.docs.pages import (
    DOCS,
    blocks,
    extensions,
    is_project,
    missing_extensions,
    run_project,
    run_session,
    services,
    start_services,
    uses_embedded_server,
)

PAGES = sorted(DOCS.rglob("*.md"))
#: Pages with a test of their own, which also checks what they produce.
OWN_TESTS = {DOCS / "tutorial" / "first-project.md"}
RUN = [p for p in PAGES if p not in OWN_TESTS]


@pytest.mark.parametrize("path", RUN, ids=[str(p.relative_to(DOCS)) for p in RUN])
def test_the_page_runs(path, tmp_path, fresh_database_url):
    text = path.read_text(encoding="utf-8")
    page = blocks(text)
    name = str(path.relative_to(DOCS.parent))
    missing = missing_extensions(fresh_database_url, extensions(text))
    if missing:
        assert not uses_embedded_server(), f"the embedded server lacks {missing}"
        pytest.skip(f"the server has no {', '.join(missing)} extension")
    with start_services(services(text), fresh_database_url) as running:
        if is_project(page):
            run_project(page, tmp_path, fresh_database_url, running.env)
        else:
            run_session(page, name, tmp_path, fresh_database_url, running.env)
        running.check_used()


def test_the_readme_example_runs(tmp_path, fresh_database_url):
    readme = DOCS.parent / "README.md"
    run_session(
        blocks(readme.read_text(encoding="utf-8")), "README.md", tmp_path, fresh_database_url
    )


def test_blocks_that_do_not_run_say_why():
    for path in PAGES:
        for block in blocks(path.read_text(encoding="utf-8")):
            if block.language in ("python", "py") and not block.runs:
                reason = block.body.lstrip()[len("# not run:") :].split("\n", 1)[0].strip()
                assert reason, f"{path}:{block.line}: say why the block does not run"


def test_python_blocks_of_project_pages_are_files():
    """On a project page only titled blocks become files: an untitled Python block would
    silently never run."""
    for path in PAGES:
        page = blocks(path.read_text(encoding="utf-8"))
        if is_project(page):
            for block in page:
                if block.language in ("python", "py") and block.runs:
                    assert block.title, f'{path}:{block.line}: give it title="path" or # not run'
