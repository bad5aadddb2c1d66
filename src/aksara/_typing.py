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


class _DatabaseDefault:
    """The value of a field the database fills (``db_default=``, ``generated=``) on an
    instance not saved yet: the INSERT leaves the column out and reads the value back."""

    _instance: _DatabaseDefault | None = None

    def __new__(cls) -> _DatabaseDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DATABASE_DEFAULT"

    def __reduce__(self) -> str:
        return "DATABASE_DEFAULT"


#: ``obj.created`` before the first save of a field with ``db_default=`` (or ``generated=``).
DATABASE_DEFAULT: Final[Any] = _DatabaseDefault()
