"""``Vector``: pgvector embeddings, for similarity search."""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar, Unpack, cast

import sqlalchemy as sa

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import Field, FieldOptions, N
from aksara.types import float32_list

#: pgvector's limit for the ``vector`` type (indexes allow at most 2,000 dimensions).
MAX_DIMENSIONS = 16000
_FLOAT_ONLY = {float}

_FLOAT32_MAX = 3.4028234663852886e38


def _float32_array(value: Any) -> Any:
    """A numeric numpy array as float32 when every item is finite there; None otherwise
    (booleans, NaN, infinities, numbers past float32's range), for ``_numbers`` to explain."""
    import numpy as np

    if value.dtype.kind not in "fiu" or value.size > MAX_DIMENSIONS:
        return None
    if value.dtype != np.float32:
        # In range first (NaN is not), so that the conversion cannot overflow.
        if not bool((np.abs(value) <= _FLOAT32_MAX).all()):
            return None
        value = value.astype(np.float32)
    return value if bool(np.isfinite(value).all()) else None


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, (list, tuple)):
        return list(cast("list[Any] | tuple[Any, ...]", value))
    # A numpy array, without importing numpy: one dimension, converted with tolist().
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        if getattr(value, "ndim", 1) != 1:
            raise ValidationError(f"Expected a 1-dimensional array, got {value.ndim} dimensions")
        return value.tolist()  # type: ignore[no-any-return]
    if type(value).__name__ == "Vector" and hasattr(value, "to_list"):
        return value.to_list()  # type: ignore[no-any-return]  # pgvector.Vector
    return None


class Vector(Field[list[float], N]):
    """An embedding stored with pgvector. PostgreSQL type: ``VECTOR(dimensions)``, or ``VECTOR``.

    ``embedding = fields.Vector(dimensions=384)``

    Accepts a list or tuple of numbers (or a 1-D numpy array); a value with another
    number of dimensions is rejected. Values are lists of floats. pgvector stores each
    number as a float32, and aksara gives it back in the shortest decimal form that
    float32 has, so ``[0.12, 0.33, 0.98]`` reads back as ``[0.12, 0.33, 0.98]``; the
    value ``clean()`` (and so ``save()``/``create()``) leaves on the instance is the same.

    Filters take a ``(vector, threshold)`` pair after a metric: ``l2_distance``,
    ``cosine_distance``, ``max_inner_product`` (negative inner product) or ``l1_distance``::

        Document.objects.filter(embedding__cosine_distance__lt=(query, 0.3))

    and ``Document.objects.nearest("embedding", query, k=10, metric="cosine")`` returns
    the nearest rows with their ``distance``. Index with ``Meta.indexes``:
    ``aksara.Index("embedding", using="hnsw", opclasses=["vector_cosine_ops"])``.
    """

    mutable: ClassVar[bool] = True
    ai_type: ClassVar[str] = "array"

    def __init__(
        self, *, dimensions: int | None = None, **options: Unpack[FieldOptions[N]]
    ) -> None:
        # A run-time check: untyped callers may pass anything.
        if dimensions is not None and (
            isinstance(dimensions, bool)
            or not isinstance(dimensions, int)  # pyright: ignore[reportUnnecessaryIsInstance]
            or not 1 <= dimensions <= MAX_DIMENSIONS
        ):
            raise ConfigurationError(
                f"Vector(dimensions=...) must be an integer from 1 to {MAX_DIMENSIONS}, got {dimensions!r}"
            )
        super().__init__(**options)
        self.dimensions = dimensions

    def to_python(self, value: Any) -> list[float]:
        return float32_list(self._numbers(value))

    def to_query(self, value: Any) -> Any:
        """A query vector for the binary codec (``aksara.db.vector_codec``): a list of finite
        floats, or a one-dimensional numpy array as float32. It is only compared in the
        database, so it is not rounded to float32's shortest decimals."""
        if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 1:
            single = _float32_array(value)
            right_length = len(value) == self.dimensions or (self.dimensions is None and len(value))
            if single is not None and right_length:
                return single
        # Anything else, and every bad array, gets the list checks and their messages.
        numbers = self._numbers(value)
        if max(numbers) > _FLOAT32_MAX or min(numbers) < -_FLOAT32_MAX:
            index = next(i for i, n in enumerate(numbers) if abs(n) > _FLOAT32_MAX)
            raise ValidationError(f"Item {index}: {numbers[index]} is out of range for float32")
        return numbers

    def _numbers(self, value: Any) -> list[float]:
        """``value`` as a list of finite floats of the right length, or ``ValidationError``."""
        items = _as_list(value)
        if items is None:
            raise ValidationError(f"Expected a list of numbers, got {type(value).__name__}")
        if self.dimensions is not None and len(items) != self.dimensions:
            raise ValidationError(f"Expected {self.dimensions} dimensions, got {len(items)}")
        if not items:
            raise ValidationError("A vector needs at least 1 dimension")
        if len(items) > MAX_DIMENSIONS:
            raise ValidationError(
                f"A vector has at most {MAX_DIMENSIONS} dimensions, got {len(items)}"
            )
        # The common case (numpy's tolist(), embeddings from a model): plain finite floats.
        # Both checks run in C: every item a float, and their sum finite (a NaN or an
        # infinity makes it NaN or infinite; so may a huge sum, which the loop below accepts).
        if {*map(type, items)} == _FLOAT_ONLY and math.isfinite(sum(items)):
            return items
        out: list[float] = []
        for index, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, numbers.Real):
                raise ValidationError(f"Item {index}: expected a number, got {type(item).__name__}")
            number = float(item)
            if not math.isfinite(number):
                raise ValidationError(f"Item {index}: NaN and infinity are not allowed in a vector")
            out.append(number)
        return out

    def snapshot(self, value: Any) -> Any:
        return list(cast("list[Any]", value)) if isinstance(value, list) else value

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        from aksara.types import VectorType

        return VectorType(self.dimensions)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["items"] = {"type": "number"}
        if self.dimensions is not None:
            info["dimensions"] = self.dimensions
        return info
