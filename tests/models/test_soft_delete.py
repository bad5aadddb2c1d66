"""Soft delete: Meta.soft_delete adds deleted_at; objects hides those rows; delete() marks,
hard_delete() deletes, restore() brings back."""

import pytest

import aksara
from aksara import Model, Q, fields
from aksara.exceptions import QueryError, StaleObjectError, UniqueViolation
from aksara.models.constraints import UniqueConstraint
from tests.query.models import Note


class SdPost(Model):
    slug = fields.String(max_length=20)
    version = fields.Integer(default=0)

    class Meta:
        soft_delete = True
        version_field = "version"
        constraints = [
            UniqueConstraint(
                fields=["slug"], condition=Q(deleted_at__isnull=True), name="live_slug"
            )
        ]


async def test_delete_marks_and_objects_hides(db):
    a = await SdPost.objects.create(slug="a")
    await SdPost.objects.create(slug="b")
    assert await a.delete() == 1
    assert a.deleted_at is not None
    assert [p.slug for p in await SdPost.objects.order_by("slug")] == ["b"]
    assert await SdPost.objects.count() == 1
    assert await SdPost.objects.filter(slug="a").exists() is False
    assert await SdPost.all_objects.count() == 2
    assert [p.slug for p in await SdPost.objects.only_deleted()] == ["a"]
    assert await SdPost.objects.with_deleted().filter(slug="a").count() == 1
    # The row is still there.
    assert await aksara.get_database().fetchval("SELECT count(*) FROM sd_post") == 2


async def test_restore_and_hard_delete(db):
    a = await SdPost.objects.create(slug="a")
    await a.delete()
    await a.restore()
    assert a.deleted_at is None and await SdPost.objects.count() == 1
    await a.hard_delete()
    assert await SdPost.all_objects.count() == 0


async def test_queryset_delete_restore_and_hard_delete(db):
    for slug in ("a", "b", "c"):
        await SdPost.objects.create(slug=slug)
    assert await SdPost.objects.filter(slug__in=["a", "b"]).delete() == 2
    assert await SdPost.objects.count() == 1
    assert await SdPost.objects.only_deleted().filter(slug="a").restore() == 1
    assert sorted(await SdPost.objects.values_list("slug", flat=True)) == ["a", "c"]
    assert await SdPost.all_objects.filter(slug="b").hard_delete() == 1
    assert await SdPost.all_objects.count() == 2


async def test_a_unique_constraint_partial_on_live_rows(db):
    old = await SdPost.objects.create(slug="a")
    await old.delete()
    await SdPost.objects.create(slug="a")  # the deleted one does not count
    with pytest.raises(UniqueViolation):
        async with aksara.transaction():
            await SdPost.objects.create(slug="a")


async def test_soft_delete_checks_the_version(db):
    post = await SdPost.objects.create(slug="a")
    stale = await SdPost.objects.get(pk=post.pk)
    post.slug = "b"
    await post.save()
    with pytest.raises(StaleObjectError):
        await stale.delete()
    assert await SdPost.objects.count() == 1


async def test_models_without_soft_delete_refuse_its_methods(db):
    with pytest.raises(QueryError, match="no Meta.soft_delete"):
        Note.objects.with_deleted()
    with pytest.raises(QueryError, match="no Meta.soft_delete"):
        await Note.objects.restore()
    assert not hasattr(Note, "all_objects")
    assert "deleted_at" not in Note._meta.fields
    assert SdPost._meta.get_field("deleted_at").nullable
