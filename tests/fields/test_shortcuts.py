"""The generated model validator skips ``clean()`` only for values it would return unchanged.

Every field's ``_validator_expression()`` must accept nothing that ``clean()`` rejects or
changes; these tests throw all kinds of values at every field configuration and check
that promise, then check the validator and the shared defaults built from it.
"""

import datetime as dt
import decimal
import uuid
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aksara import Model, fields
from aksara.exceptions import ValidationError
from aksara.fields.base import _same

FIELDS = {
    "string": fields.String(max_length=5),
    "string_nullable": fields.String(max_length=5, nullable=True),
    "text": fields.Text(),
    "text_stripped": fields.Text(strip_whitespace=True),
    "text_min": fields.Text(min_length=2),
    "text_regex": fields.String(max_length=10, regex=r"[a-z]+"),
    "text_choices": fields.String(max_length=5, choices=["a", "b"]),
    "email": fields.Email(),
    "integer": fields.Integer(),
    "integer_bounded": fields.Integer(min_value=-3, max_value=7),
    "small": fields.SmallInteger(nullable=True),
    "big": fields.BigInteger(),
    "positive": fields.PositiveInteger(),
    "float": fields.Float(),
    "float_bounded": fields.Float(min_value=0),
    "decimal": fields.Decimal(precision=5, scale=2, default=decimal.Decimal("2.2")),
    "datetime": fields.DateTime(),
    "boolean": fields.Boolean(default=True),
    "uuid": fields.UUID(nullable=True),
    "json": fields.JSON(default={"a": 1, "b": [1.5, "x"], "c": {"d": None}}),
    "json_list": fields.JSON(default=[1, 2], nullable=True),
    "string_default": fields.String(max_length=20, default="  padded  "),
    "string_default_stripped": fields.String(
        max_length=20, default="  padded  ", strip_whitespace=True
    ),
}


def _accepts(field: fields.Field, value: object) -> bool:
    names: dict = {}
    expr = field._validator_expression(names, "k_")
    if expr is None:
        return False
    names["v"] = value
    return bool(eval(expr, names))


def _check(field: fields.Field, value: object) -> None:
    if not _accepts(field, value):
        return
    try:
        cleaned = field.clean(value)
    except ValidationError as error:  # pragma: no cover - the failure being tested for
        pytest.fail(f"{field!r} shortcut accepted {value!r}, which clean() rejects: {error}")
    assert _same(cleaned, value, exact=True), (field, value, cleaned)


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.decimals(),
    st.text(max_size=8),
    st.text(alphabet=st.characters(codec="ascii"), max_size=8),
    st.sampled_from(["", "a", "abcde", "abcdef", "a\x00", "é", "\ud800", " a ", "ab1"]),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([dt.UTC, ZoneInfo("Asia/Jakarta")])),
    st.sampled_from(
        [
            dt.datetime.min.replace(tzinfo=dt.UTC),
            dt.datetime.max.replace(tzinfo=dt.UTC),
            dt.datetime(1, 1, 1, 0, 0, 1, tzinfo=dt.UTC),
            dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(0))),
        ]
    ),
    st.uuids(),
    st.uuids().map(str),
    st.sampled_from(
        [
            {"a": 1, "b": [1.5, "x"], "c": {"d": None}},
            {"a": True, "b": [1.5, "x"], "c": {"d": None}},
            {"a": 1.0, "b": [1.5, "x"], "c": {"d": None}},
            {"b": [1.5, "x"], "a": 1, "c": {"d": None}},
            [1, 2],
            (1, 2),
            [1, 2.0],
            {1: 2},
        ]
    ),
)


@pytest.mark.parametrize("name", sorted(FIELDS))
@settings(max_examples=300, deadline=None, database=None)
@given(value=anything)
def test_shortcut_accepts_only_values_clean_returns_unchanged(name, value):
    _check(FIELDS[name], value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("string", "abcde"),
        ("string_nullable", None),
        ("integer", 2**31 - 1),
        ("small", None),
        ("float", 1.5),
        ("datetime", dt.datetime(2024, 5, 1, tzinfo=dt.UTC)),
        ("boolean", False),
        ("uuid", uuid.uuid4()),
        ("json", {"a": 1, "b": [1.5, "x"], "c": {"d": None}}),
        ("json_list", [1, 2]),
    ],
)
def test_shortcut_accepts_the_common_clean_values(name, value):
    assert _accepts(FIELDS[name], value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("string", "abcdef"),
        ("string", "é"),
        ("string", "a\x00"),
        ("string", None),
        ("integer", True),
        ("integer", 2**31),
        ("integer_bounded", 8),
        ("positive", -1),
        ("float", float("nan")),
        ("float", 1),
        ("datetime", dt.datetime(2024, 5, 1)),
        ("datetime", dt.datetime(2024, 5, 1, tzinfo=ZoneInfo("Asia/Jakarta"))),
        ("json", {"a": True, "b": [1.5, "x"], "c": {"d": None}}),
        ("uuid", str(uuid.UUID(int=1))),
    ],
)
def test_shortcut_leaves_everything_else_to_clean(name, value):
    assert not _accepts(FIELDS[name], value)


@pytest.mark.parametrize(
    "name", ["text_stripped", "text_min", "text_regex", "text_choices", "email"]
)
def test_options_and_subclasses_that_change_clean_have_no_type_shortcut(name):
    assert not _accepts(FIELDS[name], "ab")


def test_shared_defaults_are_cleaned_once_and_shared():
    ok, value = FIELDS["decimal"].shared_default()
    assert ok and value == decimal.Decimal("2.2") and str(value) == "2.20"
    assert _accepts(FIELDS["decimal"], value)
    assert not _accepts(FIELDS["decimal"], decimal.Decimal("2.2"))
    # Cleaning would change it (strip), so the raw default is kept and clean() runs.
    ok, value = FIELDS["string_default_stripped"].shared_default()
    assert ok and value == "  padded  "
    assert not _accepts(FIELDS["string_default_stripped"], value)
    assert FIELDS["json"].shared_default() == (False, None)


class ShortcutThing(Model):
    title = fields.String(max_length=5)
    price = fields.Decimal(precision=5, scale=2, default=decimal.Decimal("2.2"))
    data = fields.JSON(default={"k": [1]})
    count = fields.Integer(default=0)


def test_the_generated_validator_runs_clean_only_where_needed():
    thing = ShortcutThing(title="ok")
    meta = ShortcutThing._meta
    check = meta.validator(meta.concrete_fields)
    assert check(thing.__dict__, thing) == []
    thing.title = "too long"
    thing.data["k"].append(2)
    thing.count = True
    assert [f.name for f in check(thing.__dict__, thing)] == ["title", "data", "count"]
    with pytest.raises(ValidationError) as info:
        thing.full_clean()
    assert set(info.value.errors) == {"title", "count"}
    assert thing.data == {"k": [1, 2]}


def test_new_instances_do_not_share_mutable_defaults():
    a, b = ShortcutThing(title="a"), ShortcutThing(title="b")
    a.data["k"].append(5)
    assert b.data == {"k": [1]}
    assert a.price is b.price and str(a.price) == "2.20"


def test_validators_per_field_tuple_stay_bounded():
    import itertools

    from aksara.models.options import MAX_GENERATED

    meta = ShortcutThing._meta
    orders = [
        combo
        for size in range(1, 5)
        for combo in itertools.product(meta.concrete_fields, repeat=size)
    ]
    assert len(orders) > MAX_GENERATED
    for combo in orders:
        meta.validator(combo)
    assert 0 < len(meta.generated) <= MAX_GENERATED
    # The least recently used went first: the last field tuples are still there.
    assert ("validator", orders[-1]) in meta.generated
    thing = ShortcutThing(title="ok")
    assert meta.validator(meta.concrete_fields)(thing.__dict__, thing) == []
