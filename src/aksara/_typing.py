"""Type aliases shared across aksara."""

from __future__ import annotations

from typing import Any, Final


class _NotProvided:
    """Sentinel for "no value given" where ``None`` is a real value."""

    _instance: _NotProvided | None = None

    def __new__(cls) -> _NotProvided:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_PROVIDED"

    def __bool__(self) -> bool:
        return False


NOT_PROVIDED: Final[Any] = _NotProvided()
