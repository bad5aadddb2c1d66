"""aksara._json: the same values and the same errors as json.loads() and json.dumps()."""

import json
import math
import subprocess
import sys
import threading

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


def sqlalchemy_jsonb(data):
    """How SQLAlchemy's asyncpg dialect decodes a jsonb value read in binary format."""
    return json.loads(data[1:].decode())


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.sampled_from(["", " ", "\n\t "]), st.sampled_from(["", " ", "\r\n"]))
def test_loads_jsonb_reads_what_sqlalchemy_s_codec_reads(value, before, after):
    data = b"\x01" + (before + json.dumps(value, ensure_ascii=False) + after).encode()
    assert_same_outcome(_json.loads_jsonb, sqlalchemy_jsonb, data)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x01", b"\x01nul", b'\x01{"a": 1} x', b"\x01\xff", b"\x011e400", b'\x01"\xc3\xa9"'],
)
def test_loads_jsonb_edges(data):
    assert_same_outcome(_json.loads_jsonb, sqlalchemy_jsonb, data)


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


def test_a_circular_value_is_reported_as_json_reports_it_at_any_recursion_limit():
    # Run apart: before the encoder kept json's record of open containers, a circular
    # value under a raised recursion limit overflowed the C stack.
    program = (
        "import sys; sys.setrecursionlimit(200_000)\n"
        "from aksara import _json\n"
        "c = []; c.append(c)\n"
        "for encode in (_json.dumps, _json.strict_text):\n"
        "    try:\n"
        "        encode(c)\n"
        "    except ValueError as error:\n"
        "        print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Circular reference detected"] * 2


def test_a_value_s_own_code_runs_once_and_its_errors_are_not_retried():
    calls = []

    class Flaky(dict):
        def items(self):
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("transient")
            return super().items()

    with pytest.raises(RuntimeError, match="transient"):
        _json.dumps(Flaky(a=1))
    assert len(calls) == 1
    assert _json.dumps(Flaky(a=1)) == '{"a": 1}'  # nothing left behind by the failed call


def test_a_call_from_inside_an_encoding_and_from_other_threads_gives_json_s_text():
    class Nested(dict):
        def items(self):
            inner = _json.dumps({"inner": [1, 2]})  # the encoder is in use: json's own
            assert inner == '{"inner": [1, 2]}'
            return super().items()

    assert _json.dumps(Nested(a=Nested(b=1))) == '{"a": {"b": 1}}'
    documents = [{"n": i, "items": [i, str(i)], "nested": {"x": [True, None]}} for i in range(50)]
    expected = [json.dumps(d) for d in documents]
    results: list[list[str]] = []

    def work():
        results.append([_json.dumps(d) for d in documents for _ in range(20)][::20])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 8


def test_a_loads_error_is_json_s_own_with_its_context():
    for text in (" 1x", "[1,", "1" * 5000):
        with pytest.raises(ValueError) as got:
            _json.loads(text)
        with pytest.raises(ValueError) as expected:
            json.loads(text)
        assert type(got.value) is type(expected.value)
        assert str(got.value) == str(expected.value)
        # Raised by json.loads() itself, not while handling the scanner's failure.
        context = (type(got.value.__context__), got.value.__suppress_context__)
        assert context == (type(expected.value.__context__), expected.value.__suppress_context__)
