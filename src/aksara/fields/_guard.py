"""The guard around every field class's ``clean()`` (``aksara.fields.base``)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from aksara.exceptions import ValidationError

if TYPE_CHECKING:
    from aksara.fields.base import Field


def guard_clean(clean: Any) -> Any:
    """Make ``clean`` keep its promise: bad input raises ``ValidationError``, never a
    conversion's own error (an int too long to print, an overflowing duration, a decimal
    signal, text that cannot be encoded). Applied to every field class's ``clean``."""

    @functools.wraps(clean)
    def guarded(self: Field[Any, Any], value: Any, instance: Any = None) -> Any:
        try:
            return clean(self, value, instance)
        except ValidationError:
            raise
        except (ValueError, ArithmeticError) as error:  # OverflowError, UnicodeError, decimal
            raise ValidationError(
                f"Invalid value for {type(self).__name__} ({type(error).__name__})"
            ) from None
        except RecursionError:
            raise ValidationError(f"Value for {type(self).__name__} is nested too deeply") from None

    guarded.__dict__["_guarded"] = True
    return guarded
