"""The generated constructor and CPython's shared instance keys: making instances with
``Model(...)`` must leave rows loaded later as small and as fast to build as before."""

import datetime as dt
import tracemalloc
from collections.abc import Callable
from typing import Any, cast

from aksara import Model, fields
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
