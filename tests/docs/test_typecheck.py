"""``tests/docs/typecheck.py`` finds a type error in an example and names the page's line."""

from tests.docs.pages import blocks
from tests.docs.typecheck import run_mypy, run_pyright, session_module

PAGE = """# A page

```python
count = 1
```

Some text.

```python
total: int = "many"  # line 10 of the page
await something_async()
```
"""


def test_a_wrong_example_is_reported_at_its_page_line(tmp_path):
    (tmp_path / "sessions").mkdir()
    source = session_module(blocks(PAGE), "docs/page.md", tmp_path / "sessions" / "page.py")
    mypy = run_mypy(tmp_path, [source], [])
    assert any(e.startswith("mypy: docs/page.md:10: error:") for e in mypy), mypy
    pyright = run_pyright(tmp_path, [source], [])
    assert any(e.startswith("pyright: docs/page.md:10: error:") for e in pyright), pyright
    # The top-level await is legal: the page's blocks run inside one coroutine.
    assert not any("await" in e and "outside" in e for e in mypy + pyright)
