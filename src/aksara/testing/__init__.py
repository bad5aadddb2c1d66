"""Testing support for aksara applications: a pytest plugin with database, mail and media fixtures."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aksara.db import get_database


@dataclass
class CapturedQueries:
    """The statements run inside a ``capture_queries()`` block."""

    statements: list[tuple[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.statements)

    @property
    def sql(self) -> list[str]:
        return [sql for sql, _ in self.statements]


@contextmanager
def capture_queries() -> Generator[CapturedQueries, None, None]:
    """Record every statement aksara sends: ``with capture_queries() as q: ...; assert len(q) == 2``."""
    captured = CapturedQueries()
    database = get_database()

    def listen(sql: str, args: Any) -> None:
        captured.statements.append((sql, args))

    database.listeners.append(listen)
    try:
        yield captured
    finally:
        database.listeners.remove(listen)


__all__ = ["CapturedQueries", "capture_queries"]
