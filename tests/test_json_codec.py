"""aksara._json: the same values and the same errors as json.loads() and json.dumps()."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aksara import _json

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(
            st.one_of(st.text(), st.integers(), st.booleans(), st.none()), inner, max_size=5
        ),
    ),
    max_leaves=20,
)


def same(a, b):
    """Equal, type for type, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def outcome(function, *args, **kwargs):
    try:
        return "value", function(*args, **kwargs)
    except Exception as error:  # the error's type and message are the result
        return "error", (type(error), str(error))


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_dumps_writes_what_json_dumps_writes(value):
    assert outcome(_json.dumps, value) == outcome(json.dumps, value)
    strict = outcome(json.dumps, value, allow_nan=False, ensure_ascii=False)
    assert outcome(_json.strict_text, value) == strict


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.sampled_from(["", " ", "\n\t ", "\ufeff"]), st.sampled_from(["", " ", "\r\n"]))
def test_loads_reads_what_json_loads_reads(value, before, after):
    text = before + json.dumps(value) + after
    assert_same_outcome(_json.loads, json.loads, text)


def assert_same_outcome(function, reference, text):
    got, expected = outcome(function, text), outcome(reference, text)
    if expected[0] == "error":
        assert got == expected
    else:
        assert got[0] == "value"
        assert same(got[1], expected[1])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "nul",
        '{"a": 1',
        '{"a": 1} x',
        "[1, 2,]",
        '"\\ud800"',
        "1e400",
        "-0",
        "123456789012345678901234567890",
        "NaN",
        "-Infinity",
        b'{"a": [1]}',
        bytearray(b"[true]"),
        '\ufeff{"a": 1}',
    ],
)
def test_loads_edges(text):
    assert_same_outcome(_json.loads, json.loads, text)


def test_dumps_errors_are_json_dumps_errors():
    circular: list[object] = []
    circular.append(circular)
    values = [circular, {"a": object()}, {(1, 2): 3}, {1.5: float("nan")}, {"k": {1, 2}}]
    for value in values:
        assert outcome(_json.dumps, value) == outcome(json.dumps, value)
        assert outcome(_json.strict_text, value) == outcome(
            json.dumps, value, allow_nan=False, ensure_ascii=False
        )
    assert outcome(_json.dumps, circular)[1][0] is ValueError  # "Circular reference detected"


def test_subclasses_are_written_as_json_writes_them():
    class Text(str):
        pass

    class Number(int):
        pass

    class Mapping(dict):
        pass

    value = Mapping({Text("k"): [Number(3), Text("é"), 1.25, True, None]})
    assert _json.dumps(value) == json.dumps(value)
    assert _json.strict_text(value) == json.dumps(value, allow_nan=False, ensure_ascii=False)
