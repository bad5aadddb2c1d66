"""``Vector``: pgvector embeddings, for similarity search."""

from __future__ import annotations

import decimal
import math
import numbers
import struct
from typing import Any, ClassVar, Unpack

import sqlalchemy as sa

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import Field, FieldOptions

#: pgvector's limit for the ``vector`` type (indexes allow at most 2,000 dimensions).
MAX_DIMENSIONS = 16000

_FLOAT32 = struct.Struct("f")
_FLOAT_ONLY = {float}
_BITS = struct.Struct("I")


def float32(value: float) -> float:
    """The float32 nearest ``value``, as its shortest decimal form (what PostgreSQL prints).

    pgvector stores float32, so ``0.12`` is stored as 0.119999997...; PostgreSQL prints
    it as ``0.12``, the shortest decimal that reads back as the same float32, and this
    returns the Python float of that decimal. A decimal exactly halfway between two
    float32s does not count, even where ties-to-even would read it back right: PostgreSQL
    never prints one (35200272 prints as ``3.5200272e+07``, not ``3.520027e+07``).
    Raises ``OverflowError`` past float32's range.
    """
    (single,) = _FLOAT32.unpack(_FLOAT32.pack(value))
    if not math.isfinite(single):
        raise OverflowError(f"{value} is out of range for float32")
    if single == 0.0:
        return single  # type: ignore[no-any-return]
    if abs(math.frexp(single)[0]) == 0.5:
        return _float32_power_of_two(single)
    # Otherwise the gaps to both neighbours are equal, and a correctly rounded decimal
    # with more digits is never farther away: the lengths that read back as `single`
    # are a suffix of 1..9, so binary search for the first one.
    low, high = 1, 9
    while low < high:
        digits = (low + high) // 2
        if _reads_back(float(f"{single:.{digits}g}"), single):
            high = digits
        else:
            low = digits + 1
    return float(f"{single:.{low}g}")


def _float32_power_of_two(single: float) -> float:
    # The float32 below a power of two is nearer than the one above, so the shortest
    # decimal that reads back may be rounded up rather than to nearest: at each length,
    # try the neighbours of the correctly rounded decimal too, and keep the nearest.
    exact = decimal.Decimal(single)
    for digits in range(1, 10):
        mantissa, exponent = f"{single:.{digits - 1}e}".split("e")
        units = int(mantissa.replace(".", "").replace("-", ""))
        sign = "-" if single < 0 else ""
        best: decimal.Decimal | None = None
        for candidate_units in (units - 1, units, units + 1):
            candidate = decimal.Decimal(f"{sign}{candidate_units}e{int(exponent) - digits + 1}")
            if not _reads_back(float(candidate), single):
                continue
            if best is None or abs(candidate - exact) < abs(best - exact):
                best = candidate
        if best is not None:
            return float(best)
    raise AssertionError("unreachable: 9 digits always identify a float32")


def _reads_back(number: float, single: float) -> bool:
    """True when ``number`` rounds to the float32 ``single`` and is not a tie."""
    if _FLOAT32.unpack(_FLOAT32.pack(number))[0] != single:
        return False
    if number == single:
        return True
    # Integer order of a float32's bits is the order of magnitudes: +1 is the neighbour
    # away from zero, -1 the one towards it (single is never 0 here).
    bits = _BITS.unpack(_FLOAT32.pack(single))[0] + (1 if abs(number) > abs(single) else -1)
    (neighbour,) = _FLOAT32.unpack(_BITS.pack(bits))
    return bool(number != (single + neighbour) / 2)  # midpoints are exact in a double


def _float32_list(numbers: list[float]) -> list[float]:
    """Each number as ``float32()`` gives it; vectorised with numpy when it is installed
    (its shortest float32 strings are the same decimals, about four times faster)."""
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        with np.errstate(over="ignore"):
            singles = np.asarray(numbers, dtype=np.float32)
        if bool(np.isfinite(singles).all()):
            out = list(map(float, singles.astype(str)))
            # numpy's shortest strings may be a tie between two float32s (see float32());
            # find those, rarely any, and take the Python path for them.
            shortest = np.asarray(out)
            wide = singles.astype(np.float64)
            towards = np.where(shortest > wide, np.float32(np.inf), np.float32(-np.inf))
            with np.errstate(over="ignore"):  # past float32's largest: inf, never a tie
                neighbour = np.nextafter(singles, towards.astype(np.float32)).astype(np.float64)
            for tie in np.flatnonzero((shortest != wide) & (shortest * 2 == wide + neighbour)):
                out[tie] = float32(float(singles[tie]))
            return out
    out = []
    for index, number in enumerate(numbers):
        try:
            out.append(float32(number))
        except OverflowError:
            raise ValidationError(f"Item {index}: {number} is out of range for float32") from None
    return out


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
        return list(value)
    # A numpy array, without importing numpy: one dimension, converted with tolist().
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        if getattr(value, "ndim", 1) != 1:
            raise ValidationError(f"Expected a 1-dimensional array, got {value.ndim} dimensions")
        return value.tolist()  # type: ignore[no-any-return]
    if type(value).__name__ == "Vector" and hasattr(value, "to_list"):
        return value.to_list()  # type: ignore[no-any-return]  # pgvector.Vector
    return None


class Vector(Field[list[float]]):
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

    def __init__(self, *, dimensions: int | None = None, **options: Unpack[FieldOptions]) -> None:
        if dimensions is not None and (
            isinstance(dimensions, bool)
            or not isinstance(dimensions, int)
            or not 1 <= dimensions <= MAX_DIMENSIONS
        ):
            raise ConfigurationError(
                f"Vector(dimensions=...) must be an integer from 1 to {MAX_DIMENSIONS}, got {dimensions!r}"
            )
        super().__init__(**options)
        self.dimensions = dimensions

    def to_python(self, value: Any) -> list[float]:
        return _float32_list(self._numbers(value))

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
        out = []
        for index, item in enumerate(items):
            if isinstance(item, bool) or not isinstance(item, numbers.Real):
                raise ValidationError(f"Item {index}: expected a number, got {type(item).__name__}")
            number = float(item)
            if not math.isfinite(number):
                raise ValidationError(f"Item {index}: NaN and infinity are not allowed in a vector")
            out.append(number)
        return out

    def snapshot(self, value: Any) -> Any:
        return list(value) if isinstance(value, list) else value

    def get_transform(self, name: str) -> Any:
        from aksara.query.lookups_types import vector_transform

        return vector_transform(name, self)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        from aksara.types import VectorType

        return VectorType(self.dimensions)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["items"] = {"type": "number"}
        if self.dimensions is not None:
            info["dimensions"] = self.dimensions
        return info
