"""Constraints declared in ``Meta.constraints``: what the database enforces for a model.

``CheckConstraint(condition=Q(price__gt=0), name="price_positive")``,
``UniqueConstraint(fields=["room", "day"], name="one_booking_a_day", condition=Q(...))``,
``UniqueConstraint(Lower("email"), name="email_ci")``,
``ExclusionConstraint(name="no_overlap", expressions=[(Func("starts", "ends", function="tstzrange",
output_field=...), "&&"), ("room", "=")])``.

These are declarations: the query layer compiles their conditions and expressions onto the
model's table when the class is made (``aksara.query.constraints``), so ``create_all()``
and Alembic's autogenerate see them as SQLAlchemy constraints and indexes. Names go through
the metadata's naming convention (``ck_<table>_<name>`` for checks; others keep theirs).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Any, cast

from aksara.exceptions import ConfigurationError

#: A constraint's name: what PostgreSQL takes unquoted (63 bytes at most once prefixed).
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,50}")

#: The index methods PostgreSQL ships.
METHODS = ("btree", "hash", "gist", "spgist", "gin", "brin", "hnsw", "ivfflat")

#: The operators an exclusion constraint may use.
_OPERATOR = re.compile(r"[=<>!~&|@#*+\-/%^?]{1,3}")


class Deferrable(enum.Enum):
    """When a deferrable unique constraint is checked: at the end of the transaction
    (``DEFERRED``) or of each statement unless deferred (``IMMEDIATE``)."""

    DEFERRED = "DEFERRED"
    IMMEDIATE = "IMMEDIATE"


def check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"{kind}(name=...) must be a lower-case SQL identifier of at most 51 characters, "
            f"got {name!r}"
        )
    return name


def _names(kind: str, what: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConfigurationError(f"{kind}({what}=...) takes a list of field names, got {value!r}")
    names = cast("Sequence[Any]", value)
    for item in names:
        if not isinstance(item, str):
            raise ConfigurationError(f"{kind}({what}=...) takes field names, got {item!r}")
    return tuple(names)


def _condition(kind: str, condition: Any) -> Any:
    # A Q(...): the query layer checks and compiles it (aksara.query.constraints).
    if condition is not None and not hasattr(condition, "children"):
        raise ConfigurationError(f"{kind}(condition=...) takes a Q(...), got {condition!r}")
    return condition


class BaseConstraint:
    """What every constraint declaration has: a name."""

    name: str

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class CheckConstraint(BaseConstraint):
    """``CHECK (condition)`` on each row: ``CheckConstraint(condition=Q(price__gt=0),
    name="price_positive")``. The condition is on the model's own fields."""

    def __init__(self, *, condition: Any, name: str) -> None:
        self.name = check_name("CheckConstraint", name)
        if condition is None:
            raise ConfigurationError("CheckConstraint needs condition=Q(...)")
        self.condition = _condition("CheckConstraint", condition)


class UniqueConstraint(BaseConstraint):
    """No two rows share the values of ``fields`` (or of ``expressions``): a UNIQUE
    constraint, or a unique index when it has a ``condition`` (a partial one: only the rows
    that match are compared) or expressions (``Lower("email")``).

    ``nulls_distinct=False`` counts NULLs as equal (PostgreSQL 15+); ``deferrable=`` checks
    at the end of the transaction (a constraint without condition or expressions only);
    ``include=`` adds columns to the index for index-only scans.
    """

    def __init__(
        self,
        *expressions: Any,
        fields: Sequence[str] = (),
        name: str,
        condition: Any = None,
        nulls_distinct: bool | None = None,
        deferrable: Deferrable | None = None,
        include: Sequence[str] = (),
    ) -> None:
        self.name = check_name("UniqueConstraint", name)
        self.fields = _names("UniqueConstraint", "fields", fields)
        self.expressions = tuple(expressions)
        if bool(self.fields) == bool(self.expressions):
            raise ConfigurationError(
                f"UniqueConstraint {name!r} takes fields=[...] or expressions, one of the two"
            )
        self.condition = _condition("UniqueConstraint", condition)
        if nulls_distinct not in (None, True, False):
            raise ConfigurationError("UniqueConstraint(nulls_distinct=...) is True or False")
        self.nulls_distinct = nulls_distinct
        if deferrable is not None and not isinstance(deferrable, Deferrable):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise ConfigurationError("UniqueConstraint(deferrable=...) takes a Deferrable")
        if deferrable is not None and (self.condition is not None or self.expressions):
            raise ConfigurationError(
                f"UniqueConstraint {name!r}: a constraint with a condition or expressions is a "
                f"unique index, which PostgreSQL cannot defer"
            )
        self.deferrable = deferrable
        self.include = _names("UniqueConstraint", "include", include)

    @property
    def is_index(self) -> bool:
        """True when PostgreSQL needs a unique index for it (a condition or expressions)."""
        return self.condition is not None or bool(self.expressions)


class ExclusionConstraint(BaseConstraint):
    """No two rows for which every ``(expression, operator)`` pair holds: "no two bookings
    of one room overlap" is ``expressions=[("during", "&&"), ("room", "=")]``. An
    expression is a field name or an expression (``Func("starts", "ends", function="tstzrange",
    output_field=...)``); ``index_type`` is ``"gist"`` (the default) or ``"spgist"``. Scalar
    ``=`` under GiST needs the ``btree_gist`` extension, which aksara creates."""

    def __init__(
        self,
        *,
        name: str,
        expressions: Sequence[tuple[Any, str]],
        index_type: str = "gist",
        condition: Any = None,
    ) -> None:
        self.name = check_name("ExclusionConstraint", name)
        if index_type not in ("gist", "spgist"):
            raise ConfigurationError("ExclusionConstraint(index_type=...) is 'gist' or 'spgist'")
        pairs: list[tuple[Any, str]] = []
        for item in expressions:
            if not isinstance(item, tuple) or len(item) != 2:  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
                raise ConfigurationError(
                    "ExclusionConstraint(expressions=...) takes (expression, operator) pairs"
                )
            expression, operator = item
            if not isinstance(operator, str) or not _OPERATOR.fullmatch(operator):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
                raise ConfigurationError(
                    f"ExclusionConstraint {name!r}: {operator!r} is not an operator"
                )
            pairs.append((expression, operator))
        if not pairs:
            raise ConfigurationError(f"ExclusionConstraint {name!r} needs expressions")
        self.expressions = tuple(pairs)
        self.index_type = index_type
        self.condition = _condition("ExclusionConstraint", condition)
