"""``Model.objects``: its methods are the queryset's own, so they cannot drift apart."""

import inspect
from typing import Any
from unittest import mock

import aksara
from aksara import Model, fields
from aksara.query import Manager, QuerySet
from aksara.query.manager import queryset_methods
from aksara.query.related import RelatedManager
from tests.query.models import Note
from tests.relations.models import RlAuthor


def test_every_public_queryset_method_is_a_manager_method_with_its_signature():
    methods = queryset_methods()
    assert {"filter", "get", "select_for_update", "select_for_share", "sql", "nearest"} <= set(
        methods
    )
    for name, method in methods.items():
        proxy = getattr(Manager, name)
        if name == "all":  # a manager's rows are instances: QuerySet[M] is QuerySet[M, M]
            assert inspect.signature(proxy).parameters == inspect.signature(method).parameters
            continue
        assert inspect.signature(proxy) == inspect.signature(method), name
        assert proxy.__wrapped__ is method, name
    # A related manager is a manager: it has them all too.
    for name in methods:
        assert callable(getattr(RelatedManager, name)), name


def test_manager_methods_run_on_get_queryset():
    class Recent(Manager):
        def get_queryset(self) -> QuerySet:
            return super().get_queryset().filter(rank__gte=1)

    manager = Recent(Note)
    assert manager.filter(title="x").sql() == Note.objects.filter(rank__gte=1, title="x").sql()
    assert manager.select_for_update(of=("self",)).sql()[0].endswith("FOR UPDATE OF note")
    assert manager.all().sql() == Note.objects.filter(rank__gte=1).sql()


async def test_async_methods_through_the_manager(db):
    await Note.objects.bulk_create([Note(title="a", rank=1), Note(title="b", rank=2)])
    assert await Note.objects.count() == 2
    assert (await Note.objects.get(title="b")).rank == 2
    assert await Note.objects.aggregate(top=aksara.Max("rank")) == {"top": 2}
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    post = await ada.posts.create(title="One")
    assert [p.id for p in await ada.posts.filter(title="One")] == [post.id]


def _state(qs: QuerySet) -> tuple:
    return tuple(getattr(qs, name) for name in QuerySet.__slots__)


async def test_a_plain_manager_starts_from_one_queryset_that_no_method_changes(db):
    start = Note.objects._start()
    before = _state(start)
    assert before == _state(QuerySet(Note)) and Note.objects._start() is start
    refined = Note.objects.filter(title="a").order_by("-rank")[1:3].select_related()
    assert refined is not start and refined.model is Note
    await Note.objects.create(title="a", rank=1)
    await Note.objects.bulk_create([Note(title="b", rank=2)])
    assert (await Note.objects.get(title="a")).rank == 1
    assert await Note.objects.filter(rank=2).update(title="c") == 1
    assert [n.title async for n in Note.objects.order_by("rank")] == ["a", "c"]
    assert await Note.objects.values_list("title", flat=True).order_by("title") == ["a", "c"]
    await Note.objects.filter(title="a").delete()
    assert _state(start) == before and Note.objects._start() is start
    # A manager given to another model starts from that model's queryset.
    manager = Manager(Note)
    assert manager._start().model is Note
    manager.model = RlAuthor
    assert manager._start().model is RlAuthor and manager.filter(name="x").model is RlAuthor


class _Quiet(Manager):
    def __init_subclass__(cls, **kwargs: object) -> None:  # a hook that skips super()
        pass


def test_a_manager_with_its_own_get_queryset_starts_from_it_every_time():
    calls = []

    class Counted(_Quiet):
        def get_queryset(self) -> QuerySet:
            calls.append(1)
            return super().get_queryset().filter(rank__gte=1)

    manager = Counted(Note)
    assert len(manager.filter(title="x")._where) == 2
    manager.order_by("rank")
    assert len(calls) == 2


def test_a_get_queryset_patched_on_a_manager_or_on_manager_is_used():
    marker = QuerySet(Note).filter(title="from the patch")
    with mock.patch.object(Note.objects, "get_queryset", return_value=marker) as patched:
        assert len(Note.objects.filter(rank=1)._where) == 2
    assert patched.called
    with mock.patch.object(Manager, "get_queryset", return_value=marker) as patched:
        assert len(Note.objects.filter(rank=1)._where) == 2
    assert patched.called
    assert len(Note.objects.filter(rank=1)._where) == 1  # the patches are gone


class MgStamped(Model):
    """A model whose save() does more than Model's."""

    title = fields.String(max_length=40)
    stamp = fields.String(max_length=40, default="")

    async def save(self, **options: Any) -> None:
        self.stamp = f"saved {self.title}"
        await super().save(**options)


async def test_create_calls_a_save_of_the_models_own_or_patched_in(db):
    await aksara.create_all()
    made = await MgStamped.objects.create(title="a")
    assert made.stamp == "saved a"
    assert (await MgStamped.objects.get(title="a")).stamp == "saved a"
    # Model.save patched after the first create(): create() calls the patch.
    with mock.patch.object(Model, "save", autospec=True) as patched:
        note = await Note.objects.create(title="patched")
    patched.assert_called_once_with(note, force_insert=True)
    assert not await Note.objects.filter(title="patched").exists()
    assert (await Note.objects.create(title="plain")).is_saved
