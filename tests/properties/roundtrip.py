"""The property every field family is tested for, and the Hypothesis settings they share.

``check_round_trip(Model, field, value)``: ``clean()`` the value; if validation accepts it,
``create()`` a row with it and ``get()`` it back: both hold exactly the cleaned value (same
value and same type), and the row is rolled back afterwards. If validation rejects it,
``create()`` raises ``ValidationError`` too and the table's row count does not change.
"""

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import aksara
from aksara import Model
from aksara.exceptions import ValidationError

#: Function-scoped ``db`` fixture: each example cleans up after itself (a rolled-back savepoint).
#: No example database: the tests write nothing outside the test database.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("AKSARA_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

#: Values of the wrong type for most fields.
other_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)

#: ``check_round_trip`` returns this for a value validation rejects.
REJECTED = object()


class _Undo(Exception):
    """Raised at the end of an example to roll its savepoint back."""


def _same(left: Any, right: Any) -> bool:
    """Equal values of the same type (or a subclass, as asyncpg's ``UUID``), element by
    element for lists and dicts; ``bool`` and ``int`` differ."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if not (isinstance(left, type(right)) or isinstance(right, type(left))):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    return bool(left == right)


async def check_round_trip(model: type[Model], name: str, value: Any) -> Any:
    """Check the property for one value; return the cleaned value, or ``REJECTED``."""
    field = model._meta.get_field(name)
    before = await model.objects.count()
    try:
        cleaned = field.clean(value)
    except ValidationError:
        with pytest.raises(ValidationError) as info:
            await model.objects.create(**{name: value})
        assert name in info.value.errors, info.value.errors
        assert await model.objects.count() == before
        return REJECTED
    try:
        async with aksara.transaction():
            created = await model.objects.create(**{name: value})
            assert _same(getattr(created, name), cleaned), (getattr(created, name), cleaned)
            loaded = await model.objects.get(pk=created.pk)
            assert _same(getattr(loaded, name), cleaned), (getattr(loaded, name), cleaned)
            raise _Undo
    except _Undo:
        pass
    assert await model.objects.count() == before
    return cleaned
