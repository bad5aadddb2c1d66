"""``aksara._codegen``: generated functions show their source in tracebacks, go away with it,
and refuse names Python would read as other names."""

import gc
import linecache
import traceback

import pytest

from aksara._codegen import identifier, is_identifier, make_function
from aksara.query._compile import instance_builder
from tests.query.models import Note


def test_tracebacks_show_the_generated_lines():
    namespace: dict = {}
    function = make_function("def boom(d):\n    return d['missing']\n", namespace, "test function")
    with pytest.raises(KeyError) as info:
        function({})
    text = "".join(traceback.format_exception(info.value))
    assert "<aksara test function #" in text
    assert "return d['missing']" in text


def test_the_source_goes_with_the_function():
    function = make_function("def f():\n    return 1\n", {}, "short-lived")
    filename = function.__code__.co_filename
    assert linecache.getline(filename, 2).strip() == "return 1"
    del function
    gc.collect()
    assert filename not in linecache.cache


def test_names_must_read_as_themselves():
    assert is_identifier("title") and identifier("title") == "title"
    for name in ("\ufb01eld", "class", "two words", "1st", "x-y"):
        assert not is_identifier(name)
        with pytest.raises(ValueError):
            identifier(name)
    with pytest.raises(ValueError, match="must start with 'def"):
        make_function("x = 1\n", {}, "not a function")


def test_row_builders_refuse_names_they_could_not_write():
    assert instance_builder(Note, ("id", "\ufb01eld")) is None
    assert instance_builder(Note, ("id", "title")) is not None
