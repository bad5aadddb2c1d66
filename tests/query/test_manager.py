"""``Model.objects``: its methods are the queryset's own, so they cannot drift apart."""

import inspect

import aksara
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
