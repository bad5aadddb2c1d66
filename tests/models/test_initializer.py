"""The generated constructor and CPython's shared instance keys: making instances with
``Model(...)`` must leave rows loaded later as small and as fast to build as before."""

import datetime as dt
import marshal
import tracemalloc
from collections.abc import Callable
from typing import Any, cast

import pytest

from aksara import Model, fields
from aksara.fields._values import LITERAL_LIMIT, MARSHAL, literal
from aksara.models._init import SHARED_KEYS
from aksara.query._compile import instance_builder

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _small_namespace() -> dict[str, Any]:
    return {
        "__module__": __name__,
        "id": fields.Integer(primary_key=True),
        "created": fields.DateTime(auto_now_add=True),
        "level": fields.SmallInteger(default=1),
        "text": fields.String(max_length=20),
        "tags": fields.JSON(default=list),
    }


InSmall = cast("type[Any]", type(Model)("InSmall", (Model,), _small_namespace()))
#: The same model, never constructed: what a loaded row costs with nothing else going on.
InTwin = cast("type[Any]", type(Model)("InTwin", (Model,), _small_namespace()))


def _wide_namespace(columns: int) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__module__": __name__, "id": fields.Integer(primary_key=True)}
    for i in range(columns - 1):
        namespace[f"c{i}"] = fields.Integer(default=i)
    return namespace


InFits = cast("type[Any]", type(Model)("InFits", (Model,), _wide_namespace(SHARED_KEYS - 1)))
InWider = cast("type[Any]", type(Model)("InWider", (Model,), _wide_namespace(SHARED_KEYS + 5)))


def bytes_per_instance(make: Callable[[int], Any], count: int = 400) -> float:
    """Memory per made instance, the last of three measurements (the first ones also count
    what tracing allocates once)."""
    size = 0
    for _ in range(3):
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            made = [make(i) for i in range(count)]
            size = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        del made
    return size / count


def test_rows_loaded_after_many_new_instances_keep_shared_keys():
    def loader(model: Any) -> Callable[[int], Any]:
        build = instance_builder(model, model._meta.attnames)
        assert build is not None
        return lambda i: build((i, NOW, 2, "x", None))

    new = [InSmall(text=f"t{i}") for i in range(200)]  # more than the table's spare room
    assert new[0].tags == [] and new[0].tags is not new[1].tags
    # An instance with a dict of its own would cost a few hundred bytes more.
    assert bytes_per_instance(loader(InSmall)) <= bytes_per_instance(loader(InTwin)) + 16
    assert vars(loader(InSmall)(1)) == {
        "id": 1,
        "created": NOW,
        "level": 2,
        "text": "x",
        "tags": None,
        "_loaded": (1, NOW, 2, "x", None),
    }


def test_new_instances_of_a_narrow_model_store_attributes_in_column_order():
    obj = InSmall(text="t", level=5)
    assert list(vars(obj)) == ["id", "created", "level", "text", "tags", "_loaded"]
    assert obj.level == 5 and obj.tags == [] and obj._loaded is None
    given = InSmall(text="t", tags=["a"])
    assert given.tags == ["a"]


def test_a_model_as_wide_as_the_shared_table_stays_inline_and_a_wider_one_works():
    fits, wider = InFits, InWider
    for model in (fits, wider):
        [model() for _ in range(100)]
        obj = model(c3=30)
        assert obj.c3 == 30 and obj.c4 == 4 and obj.id is None and obj._loaded is None
    build = instance_builder(fits, fits._meta.attnames)
    assert build is not None
    row = tuple(range(SHARED_KEYS - 1))
    assert bytes_per_instance(lambda i: build(row)) < 400


class InAuthor(Model):
    name = fields.String(max_length=20)


class InBook(Model):
    # Columns named like the generated constructor's helpers and a builtin it uses.
    id = fields.Integer(primary_key=True)
    type = fields.String(max_length=20, default="novel")
    model = fields.Integer(default=lambda: 7)
    key = fields.JSON(default=dict)
    author = fields.ForeignKey(InAuthor, on_delete="CASCADE", nullable=True)


class InLoud:
    def __init__(self, **values: Any) -> None:
        self.loud = True
        super().__init__(**values)


class InMixed(InLoud, Model):
    title = fields.String(max_length=20)


def test_later_instances_are_made_by_a_generated_keyword_constructor():
    InBook(type="first")  # the first instance makes the class's constructor
    assert getattr(InBook.__dict__["__init__"], "_aksara_generated", False)
    author = InAuthor(id=4, name="a")
    book = InBook(author=author, key={"k": 1})
    assert (book.type, book.model, book.key, book.author_id) == ("novel", 7, {"k": 1}, 4)
    assert book.author is author and book.id is None and book._loaded is None
    assert InBook(author_id=5).author_id == 5 and InBook(pk=9).id == 9
    first, second = InBook(), InBook()
    assert first.key == {} and first.key is not second.key
    assert list(vars(first)) == ["id", "type", "model", "key", "author_id", "_loaded"]
    with pytest.raises(TypeError, match="unexpected field 'nope'"):
        InBook(nope=1)
    with pytest.raises(TypeError):
        InBook("positional")  # type: ignore[call-arg]


def test_a_class_with_an_init_of_its_own_keeps_it():
    for _ in range(2):
        mixed = InMixed(title="t")
        assert mixed.loud and mixed.title == "t"
    assert "__init__" not in InMixed.__dict__


def test_the_generated_constructor_hands_another_class_to_model_init():
    InBook()
    author = InAuthor.__new__(InAuthor)
    InBook.__init__(author, name="through Model.__init__")  # type: ignore[arg-type]
    assert author.name == "through Model.__init__" and author.id is not None


def test_clearing_a_model_caches_drops_its_generated_constructor():
    InBook()
    assert "__init__" in InBook.__dict__
    InBook._meta.clear_caches()
    assert "__init__" not in InBook.__dict__
    assert InBook(type="again").type == "again" and "__init__" in InBook.__dict__


LITERAL_DEFAULT = {"a": 1, "b": "b'\n\u00e9", "c": [2, 2.5, -0.0], "d": {"e": None}, "f": True}
#: Defaults no literal makes exactly: unmarshalled, as before.
NOT_LITERAL = ([float("nan")], [1e400], [(1, 2)], {1: {2}}, ["x" * LITERAL_LIMIT], [10**4400])
#: A model per default (made at import, as every model is before its tables are).
LITERAL_MODELS = [
    cast(
        "type[Any]",
        type(Model)(
            f"InLiteral{i}", (Model,), {"__module__": __name__, "doc": fields.JSON(default=d)}
        ),
    )
    for i, d in enumerate((LITERAL_DEFAULT, *NOT_LITERAL))
]


def test_list_and_dict_defaults_are_built_from_literals_as_exact_new_copies():
    def made(model: Any) -> list[Any]:
        # The first instance is made by build_initializer, the next by keyword_init.
        return [model().doc, model().doc, model(id=None).doc]

    docs = made(LITERAL_MODELS[0])
    for doc in docs:
        assert marshal.dumps(doc, MARSHAL) == marshal.dumps(LITERAL_DEFAULT, MARSHAL)
        assert doc is not LITERAL_DEFAULT and doc["c"] is not LITERAL_DEFAULT["c"]
    assert docs[0] is not docs[1] and docs[1]["d"] is not docs[2]["d"]
    docs[1]["d"]["e"] = 1
    assert LITERAL_DEFAULT["d"]["e"] is None and docs[2]["d"]["e"] is None
    assert literal(LITERAL_DEFAULT) is not None
    for default, model in zip(NOT_LITERAL, LITERAL_MODELS[1:], strict=True):
        assert literal(default) is None
        first, second, _ = made(model)
        assert marshal.dumps(first) == marshal.dumps(default)
        assert first is not second and first is not default
