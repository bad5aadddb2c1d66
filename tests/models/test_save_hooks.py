"""The field hooks that do I/O around writes (used by file fields and unique slugs)."""

from typing import ClassVar

import pytest

import aksara
from aksara import Model, fields
from aksara.exceptions import IntegrityError, ValidationError

EVENTS: list[str] = []


class RecordingCode(fields.String):
    has_async_pre_save: ClassVar[bool] = True
    has_post_delete: ClassVar[bool] = True

    async def pre_save_async(self, instance, add, context):
        value = instance.__dict__[self.attname]
        EVENTS.append(f"pre_save {value} add={add}")
        await aksara.on_rollback(lambda: EVENTS.append(f"undo {value}"))
        await aksara.on_commit(lambda: EVENTS.append(f"commit {value}"))

    async def post_delete(self, values):
        EVENTS.append(f"deleted {sorted(values)}")


class HkItem(Model):
    code = RecordingCode(max_length=10, unique=True)
    label = fields.String(max_length=10, default="")


@pytest.fixture(autouse=True)
def clear_events():
    EVENTS.clear()


async def test_hooks_run_around_insert_and_commit(transactional_db):
    await HkItem.objects.create(code="a")
    assert EVENTS == ["pre_save a add=True", "commit a"]


async def test_failed_insert_rolls_back_the_hooks_side_effects(transactional_db):
    await HkItem.objects.create(code="a")
    EVENTS.clear()
    with pytest.raises(IntegrityError):
        await HkItem.objects.create(code="a")
    assert EVENTS == ["pre_save a add=True", "undo a"]
    assert await HkItem.objects.count() == 1


async def test_validation_failure_runs_no_hook(transactional_db):
    with pytest.raises(ValidationError):
        await HkItem.objects.create(code="x" * 20)
    assert EVENTS == []


async def test_update_runs_hook_only_when_the_field_changed(transactional_db):
    item = await HkItem.objects.create(code="a")
    EVENTS.clear()
    item.label = "new"
    await item.save()
    assert EVENTS == []
    item.code = "b"
    await item.save()
    assert EVENTS == ["pre_save b add=False", "commit b"]


async def test_hooks_inside_an_outer_transaction_wait_for_its_commit(transactional_db):
    async with aksara.transaction():
        await HkItem.objects.create(code="a")
        assert EVENTS == ["pre_save a add=True"]
    assert EVENTS == ["pre_save a add=True", "commit a"]


async def test_post_delete_gets_deleted_values(transactional_db):
    a = await HkItem.objects.create(code="a")
    await HkItem.objects.create(code="b")
    await HkItem.objects.create(code="c")
    EVENTS.clear()
    assert await a.delete() == 1
    assert await HkItem.objects.filter(code__in=["b", "c"]).delete() == 2
    assert EVENTS == ["deleted ['a']", "deleted ['b', 'c']"]
