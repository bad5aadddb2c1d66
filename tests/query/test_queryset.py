"""QuerySet methods on the real database."""

import uuid

import pytest

import aksara
from aksara import Avg, Count, F, Max, Min, Q, Sum
from aksara.exceptions import QueryError, ValidationError
from tests.query.models import Author, Note, QsTagged


async def make_authors():
    return [
        await Author.objects.create(name="Ada", email="ada@example.com", age=36),
        await Author.objects.create(name="Grace", email="grace@example.com", age=85, active=False),
        await Author.objects.create(name="Linus", email="linus@example.com", age=None),
        await Author.objects.create(name="Barbara", email="barbara@example.com", age=50),
    ]


async def test_await_queryset_returns_instances_in_meta_ordering(db):
    await make_authors()
    names = [a.name for a in await Author.objects.all()]
    assert names == ["Ada", "Barbara", "Grace", "Linus"]
    assert [a.name for a in await Author.objects] == names


async def test_filter_exclude_and_chaining_are_immutable(db):
    await make_authors()
    base = Author.objects.filter(active=True)
    older = base.filter(age__gte=40)
    assert [a.name for a in await older] == ["Barbara"]
    assert len(await base) == 3
    assert [a.name for a in await Author.objects.exclude(name="Ada")] == [
        "Barbara",
        "Grace",
        "Linus",
    ]


async def test_q_objects_or_and_not(db):
    await make_authors()
    qs = Author.objects.filter(Q(name="Ada") | Q(age__gt=80))
    assert [a.name for a in await qs] == ["Ada", "Grace"]
    qs = Author.objects.filter(~Q(name="Ada") & Q(active=True))
    assert [a.name for a in await qs] == ["Barbara", "Linus"]
    qs = Author.objects.filter(Q(name__startswith="B") | Q(name__startswith="L"), active=True)
    assert [a.name for a in await qs] == ["Barbara", "Linus"]


async def test_order_by_desc_and_slicing(db):
    await make_authors()
    qs = Author.objects.order_by("-name")
    assert [a.name for a in await qs[1:3]] == ["Grace", "Barbara"]
    assert [a.name for a in await qs[:2]] == ["Linus", "Grace"]
    assert [a.name for a in await qs[2:]] == ["Barbara", "Ada"]
    assert [a.name for a in await qs[1:3][1:]] == ["Barbara"]
    assert (await qs[0]).name == "Linus"
    with pytest.raises(IndexError):
        await qs[10]
    with pytest.raises(QueryError):
        qs[-1]


async def test_first_last_get_or_none(db):
    await make_authors()
    assert (await Author.objects.first()).name == "Ada"
    assert (await Author.objects.last()).name == "Linus"
    assert (await Author.objects.order_by("-age").filter(age__isnull=False).first()).name == "Grace"
    assert await Author.objects.filter(name="Nobody").first() is None
    assert await Author.objects.get_or_none(name="Nobody") is None


async def test_get_raises_model_specific_errors(db):
    await make_authors()
    with pytest.raises(Author.DoesNotExist):
        await Author.objects.get(name="Nobody")
    with pytest.raises(aksara.DoesNotExist):
        await Author.objects.get(name="Nobody")
    with pytest.raises(Author.MultipleObjectsReturned):
        await Author.objects.get(active=True)
    assert not issubclass(Author.DoesNotExist, Note.DoesNotExist)


async def test_get_by_one_key_matches_filter_for_every_kind_of_value(db):
    authors = await make_authors()
    ada = authors[0]
    # The single-key path of get() runs what filter(key=value)[:2] runs.
    assert (await Author.objects.get(pk=ada.pk)).name == "Ada"
    assert (await Author.objects.get(id=str(ada.pk))).name == "Ada"
    assert (await Author.objects.all().get(email="ada@example.com")).pk == ada.pk
    assert (await Author.objects.get(age=None)).name == "Linus"
    assert (await Author.objects.get(age__gt=80)).name == "Grace"
    assert (await Author.objects.get(name__in=["Barbara", "Nobody"])).age == 50
    with pytest.raises(Author.MultipleObjectsReturned):
        await Author.objects.get(age=F("age"))  # an expression: the general path
    with pytest.raises(Author.MultipleObjectsReturned):
        await Author.objects.get(age__gte=36)
    with pytest.raises(Author.DoesNotExist):
        await Author.objects.get(pk=uuid.uuid4())
    with pytest.raises(QueryError, match="invalid filter value"):
        await Author.objects.get(pk="not a uuid")
    with pytest.raises(QueryError):
        await Author.objects.get(nickname="Ada")
    # Not plain: the filter, slice and prefetch are kept.
    with pytest.raises(Author.DoesNotExist):
        await Author.objects.filter(active=False).get(pk=ada.pk)


async def test_lookups(db):
    await make_authors()

    async def names(**kw):
        return [a.name for a in await Author.objects.filter(**kw)]

    assert await names(name__exact="Ada") == ["Ada"]
    assert await names(name__iexact="ADA") == ["Ada"]
    assert await names(name__contains="ar") == ["Barbara"]
    assert await names(name__icontains="AR") == ["Barbara"]
    assert await names(name__startswith="Gr") == ["Grace"]
    assert await names(name__endswith="nus") == ["Linus"]
    assert await names(name__istartswith="gR") == ["Grace"]
    assert await names(name__iendswith="NUS") == ["Linus"]
    assert await names(name__in=["Ada", "Linus", "Zed"]) == ["Ada", "Linus"]
    assert await names(name__in=[]) == []
    assert await names(age__gt=50) == ["Grace"]
    assert await names(age__gte=50) == ["Barbara", "Grace"]
    assert await names(age__lt=50) == ["Ada"]
    assert await names(age__lte=50) == ["Ada", "Barbara"]
    assert await names(age__range=(36, 50)) == ["Ada", "Barbara"]
    assert await names(age__isnull=True) == ["Linus"]
    assert await names(age__isnull=False) == ["Ada", "Barbara", "Grace"]
    assert await names(age=None) == ["Linus"]
    assert await names(pk=(await Author.objects.get(name="Ada")).pk) == ["Ada"]


async def test_like_wildcards_match_literally(db):
    await Note.objects.create(title="100% sure")
    await Note.objects.create(title="1000 sure")
    await Note.objects.create(title="a_b")
    await Note.objects.create(title="axb")
    await Note.objects.create(title="back\\slash")
    assert [n.title for n in await Note.objects.filter(title__contains="%")] == ["100% sure"]
    assert [n.title for n in await Note.objects.filter(title__startswith="100%")] == ["100% sure"]
    assert [n.title for n in await Note.objects.filter(title__endswith="_b")] == ["a_b"]
    assert [n.title for n in await Note.objects.filter(title__icontains="\\")] == ["back\\slash"]


async def test_hostile_strings_are_parameters(db):
    evil = "x'; DROP TABLE note; --"
    await Note.objects.create(title=evil)
    assert (await Note.objects.get(title=evil)).title == evil
    assert await Note.objects.filter(title__icontains="'; drop").count() == 1
    assert await Note.objects.count() == 1


async def test_unknown_field_or_lookup_is_a_clear_error(db):
    with pytest.raises(QueryError, match="Author has no field 'nme'"):
        await Author.objects.filter(nme="x")
    with pytest.raises(QueryError, match="Author.name: unsupported lookup"):
        await Author.objects.filter(name__nope="x")
    with pytest.raises(QueryError):
        Author.objects.order_by("missing")
    with pytest.raises(QueryError, match="invalid filter value"):
        await Author.objects.filter(age="old")


async def test_count_exists_and_sliced_count(db):
    await make_authors()
    assert await Author.objects.count() == 4
    assert await Author.objects.filter(active=False).count() == 1
    assert await Author.objects.all()[1:3].count() == 2
    assert await Author.objects.filter(name="Ada").exists()
    assert not await Author.objects.filter(name="Nobody").exists()


async def test_values_and_values_list(db):
    await make_authors()
    rows = await Author.objects.filter(name="Ada").values("name", "age")
    assert rows == [{"name": "Ada", "age": 36}]
    full = await Author.objects.filter(name="Ada").values()
    assert set(full[0]) == {"id", "name", "email", "active", "age", "joined", "touched", "profile"}
    assert await Author.objects.order_by("age").filter(age__isnull=False).values_list(
        "name", "age"
    ) == [("Ada", 36), ("Barbara", 50), ("Grace", 85)]
    assert await Author.objects.values_list("name", flat=True) == [
        "Ada",
        "Barbara",
        "Grace",
        "Linus",
    ]
    with pytest.raises(QueryError):
        Author.objects.values_list("name", "age", flat=True)


async def test_update_returns_count_and_validates(db):
    await make_authors()
    assert await Author.objects.filter(active=True).update(age=1) == 3
    assert await Author.objects.filter(age=1).count() == 3
    with pytest.raises(ValidationError) as info:
        await Author.objects.update(age="many")
    assert info.value.errors == {"age": ["Expected integer"]}
    assert "Author.age" in str(info.value)
    assert await Author.objects.filter(age=1).count() == 3


async def test_update_with_f_expression_is_atomic(db):
    note = await Note.objects.create(title="n", rank=5)
    assert await Note.objects.filter(pk=note.pk).update(rank=F("rank") + 2) == 1
    await note.refresh_from_db()
    assert note.rank == 7
    assert await Note.objects.filter(rank__gt=F("rank") - 1).count() == 1


async def test_delete_returns_count(db):
    await make_authors()
    assert await Author.objects.filter(active=False).delete() == 1
    assert await Author.objects.count() == 3
    assert await Author.objects.delete() == 3


async def test_aggregate(db):
    await make_authors()
    result = await Author.objects.aggregate(
        total=Sum("age"), mean=Avg("age"), low=Min("age"), high=Max("age"), n=Count()
    )
    assert result["total"] == 171 and result["low"] == 36 and result["high"] == 85
    assert result["n"] == 4
    assert float(result["mean"]) == pytest.approx(57)
    assert await Author.objects.filter(active=True).aggregate(Count("age")) == {"age__count": 2}


async def test_in_bulk(db):
    authors = await make_authors()
    found = await Author.objects.in_bulk([authors[0].id, authors[1].id])
    assert set(found) == {authors[0].id, authors[1].id}
    assert found[authors[0].id].name == "Ada"
    by_email = await Author.objects.in_bulk(field_name="email")
    assert set(by_email) == {a.email for a in authors}
    with pytest.raises(QueryError):
        await Author.objects.in_bulk(field_name="name")


async def test_get_or_create_and_update_or_create(db):
    a, created = await Author.objects.get_or_create(email="x@example.com", defaults={"name": "X"})
    assert created and a.name == "X"
    b, created = await Author.objects.get_or_create(email="x@example.com", defaults={"name": "Y"})
    assert not created and b == a and b.name == "X"
    c, created = await Author.objects.update_or_create(
        email="x@example.com", defaults={"name": "Z"}
    )
    assert not created and c.name == "Z"
    assert (await Author.objects.get(email="x@example.com")).name == "Z"
    d, created = await Author.objects.update_or_create(
        email="new@example.com", defaults={"name": "N"}
    )
    assert created and d.name == "N"


async def test_bulk_create_one_statement_and_validation_writes_nothing(db):
    notes = [Note(title=f"t{i}", rank=i) for i in range(250)]
    result = await Note.objects.bulk_create(notes)
    assert result is not notes and len(result) == 250
    assert await Note.objects.count() == 250
    assert all(n.is_saved for n in notes)
    bad = [Note(title="ok"), Note(title="x" * 300), Note(title="fine", rank="no")]
    with pytest.raises(ValidationError) as info:
        await Note.objects.bulk_create(bad)
    assert "item 1" in str(info.value) and "item 2" in str(info.value)
    assert await Note.objects.count() == 250


async def test_bulk_create_in_several_batches(db):
    notes = [Note(title=f"t{i}") for i in range(25)]
    await Note.objects.bulk_create(notes, batch_size=10)
    assert await Note.objects.count() == 25


async def test_bulk_update(db):
    notes = await Note.objects.bulk_create([Note(title=f"t{i}", rank=0) for i in range(5)])
    for i, n in enumerate(notes):
        n.rank = i * 10
    assert await Note.objects.bulk_update(notes, ["rank"]) == 5
    assert await Note.objects.order_by("rank").values_list("rank", flat=True) == [0, 10, 20, 30, 40]


async def test_async_for_outside_and_inside_transaction(db):
    await Note.objects.bulk_create([Note(title=f"t{i:04}") for i in range(1200)])
    titles = [n.title async for n in Note.objects.order_by("title")]
    assert len(titles) == 1200 and titles[0] == "t0000"
    async with aksara.transaction():
        streamed = [n.title async for n in Note.objects.order_by("title")]
    assert streamed == titles


async def test_only_defers_other_fields(db):
    await Note.objects.create(title="a", body="long body")
    note = await Note.objects.only("title").get(title="a")
    assert note.title == "a"
    with pytest.raises(AttributeError, match="not loaded"):
        _ = note.body
    note.title = "b"
    await note.save()
    await note.refresh_from_db()
    assert note.body == "long body" and note.title == "b"


async def test_defer_loads_every_field_but_the_deferred_ones(db):
    await Note.objects.create(title="a", body="long body", rank=3)
    note = await Note.objects.defer("body").get(title="a")
    assert (note.title, note.rank) == ("a", 3)
    with pytest.raises(AttributeError, match="not loaded"):
        _ = note.body
    sql, _ = Note.objects.defer("body", "ref").sql()
    assert "note.body" not in sql and "note.ref" not in sql and "note.rank" in sql
    # After only(), defer() narrows what only() loads.
    [row] = await Note.objects.only("title", "body").defer("body").values_list("id", "title")
    assert row[1] == "a"
    narrowed = await Note.objects.only("title", "body").defer("body").get(title="a")
    assert narrowed.title == "a"
    with pytest.raises(AttributeError, match="not loaded"):
        _ = narrowed.rank
    note.rank = 4
    await note.save()
    await note.refresh_from_db()
    assert (note.body, note.rank) == ("long body", 4)
    with pytest.raises(QueryError, match="primary key"):
        Note.objects.defer("id")
    with pytest.raises(QueryError, match="has no field"):
        Note.objects.defer("nope")


async def test_saves_send_only_what_changed_for_whole_and_partial_loads(db):
    from aksara.testing import capture_queries

    await Author.objects.create(name="Ada", email="ada@example.com", profile={"k": [1]})
    whole = await Author.objects.get(email="ada@example.com")
    partial = await Author.objects.only("name", "profile").get(email="ada@example.com")

    with capture_queries() as queries:
        await whole.save()  # nothing changed but auto_now
        partial.profile["k"].append(2)  # changed in place
        await partial.save()
        await partial.save()  # saved: nothing left to send
    import re

    assert [set(re.findall(r"(\w+)=\$", q.split(" WHERE")[0])) for q in queries.sql] == [
        {"touched"},
        {"profile", "touched"},
        {"touched"},
    ]
    await whole.refresh_from_db(fields=["profile"])
    assert whole.profile == {"k": [1, 2]}
    whole.profile["k"].append(3)
    with capture_queries() as queries:
        await whole.save()
    assert set(re.findall(r"(\w+)=\$", queries.sql[0].split(" WHERE")[0])) == {
        "profile",
        "touched",
    }
    assert (await Author.objects.get(pk=whole.pk)).profile == {"k": [1, 2, 3]}


async def test_loaded_instances_pickle_and_copy_with_their_state(db):
    import copy
    import pickle

    from aksara.testing import capture_queries

    await Author.objects.create(name="Ada", email="ada@example.com", profile={"k": [1]})
    for loaded in (
        await Author.objects.get(email="ada@example.com"),
        await Author.objects.only("name", "profile").get(email="ada@example.com"),
    ):
        for twin in (pickle.loads(pickle.dumps(loaded)), copy.deepcopy(loaded)):
            assert twin.is_saved and twin.profile == loaded.profile
            twin.profile["k"].append(2)
            with capture_queries() as queries:
                await twin.save()  # the copy knows what was loaded: it sends what changed
            assert "profile=" in queries.sql[0] and "name=" not in queries.sql[0]
            assert (await Author.objects.get(pk=loaded.pk)).profile["k"][-1] == 2
            await Author.objects.filter(pk=loaded.pk).update(profile={"k": [1]})


async def test_instances_keeping_driver_records_pickle_and_copy(db):
    import copy
    import pickle

    from aksara.testing import capture_queries

    await Note.objects.create(title="a", body="b")
    for loaded in (
        await Note.objects.get(title="a"),
        await Note.objects.only("title").get(title="a"),
    ):
        for twin in (pickle.loads(pickle.dumps(loaded)), copy.deepcopy(loaded), copy.copy(loaded)):
            with capture_queries() as queries:
                await twin.save()  # nothing changed since it was loaded: nothing to send
            assert len(queries) == 0
            twin.title = "c"
            await twin.save()
            assert await Note.objects.filter(title="c").count() == 1
            await Note.objects.update(title="a")


async def test_filter_by_uuid_string(db):
    ref = uuid.uuid4()
    await Note.objects.create(title="r", ref=ref)
    assert (await Note.objects.get(ref=str(ref))).ref == ref


async def test_distinct(db):
    for t in ["a", "a", "b"]:
        await Note.objects.create(title=t)
    assert sorted(await Note.objects.values_list("title", flat=True).distinct()) == ["a", "b"]


async def test_statement_plans_are_cached_per_shape(db):
    await make_authors()
    plans = Author._meta.plans
    plans.clear()
    await Author.objects.filter(name="Ada")
    size = len(plans)
    await Author.objects.filter(name="Grace")
    await Author.objects.filter(name__in=["Ada", "Grace"])
    await Author.objects.filter(name__in=["Ada", "Grace", "Linus"])
    assert len(plans) == size + 1


async def test_capture_queries_counts_statements(db):
    from aksara.testing import capture_queries

    with capture_queries() as queries:
        await Note.objects.create(title="a")
        await Note.objects.filter(title="a").count()
    assert len(queries) == 2
    assert queries.sql[0].startswith("INSERT INTO note")


async def test_bulk_create_sends_one_unnest_statement_for_a_small_batch(db):
    from aksara.testing import capture_queries

    with capture_queries() as queries:
        await Author.objects.bulk_create(
            [Author(name=f"a{i}", email=f"a{i}@example.com", profile={"i": i}) for i in range(30)]
        )
    assert len(queries) == 1 and "unnest(" in queries.sql[0]
    rows = await Author.objects.filter(name__in=["a0", "a29"]).order_by("name")
    assert [(r.name, r.profile) for r in rows] == [("a0", {"i": 0}), ("a29", {"i": 29})]
    assert all(r.joined.tzinfo is not None for r in rows)


async def test_bulk_create_copies_a_large_batch(db):
    from aksara.testing import capture_queries

    authors = [
        Author(name=f"a{i}", email=f"a{i}@example.com", profile={"i": [i, "x"]}, age=i or None)
        for i in range(300)
    ]
    with capture_queries() as queries:
        await Author.objects.bulk_create(authors)
    assert len(queries) == 1 and queries.sql[0].startswith("COPY author (")
    rows = await Author.objects.filter(name__in=["a0", "a299"]).order_by("name")
    assert [(r.name, r.profile, r.age) for r in rows] == [
        ("a0", {"i": [0, "x"]}, None),
        ("a299", {"i": [299, "x"]}, 299),
    ]
    assert all(r.joined.tzinfo is not None for r in rows)
    assert {r.pk for r in await Author.objects.all()} == {a.pk for a in authors}
    assert all(a.is_saved for a in authors)


class CopyCounted(aksara.Model):
    id = aksara.fields.Integer(primary_key=True)
    name = aksara.fields.String(max_length=20, unique=True)
    amount = aksara.fields.Decimal(precision=8, scale=2, default="1.5")


async def test_bulk_create_copy_takes_generated_ids_from_the_identity_sequence(db):
    from aksara.testing import capture_queries

    first = await CopyCounted.objects.create(name="first")
    items = [CopyCounted(name=f"n{i}") for i in range(100)]
    with capture_queries() as queries:
        await CopyCounted.objects.bulk_create(items)
    assert any(q.startswith("COPY copy_counted") for q in queries.sql)
    ids = [item.id for item in items]
    assert len(set(ids)) == 100 and all(i > first.id for i in ids)
    later = await CopyCounted.objects.create(name="later")
    assert later.id > max(ids)
    loaded = {c.id: c for c in await CopyCounted.objects.all()}
    assert loaded[ids[7]].name == "n7" and str(loaded[ids[7]].amount) == "1.50"


async def test_bulk_create_copy_that_fails_writes_nothing_and_leaves_instances_unsaved(db):
    await CopyCounted.objects.create(name="n50")
    items = [CopyCounted(name=f"n{i}") for i in range(100)]
    with pytest.raises(aksara.IntegrityError):
        async with aksara.transaction():
            await CopyCounted.objects.bulk_create(items)
    assert await CopyCounted.objects.count() == 1
    assert all(item.id is None for item in items)


async def test_bulk_create_with_array_columns_uses_values(db):
    from aksara.testing import capture_queries

    items = [QsTagged(tags=["a", str(i)]) for i in range(3)]
    with capture_queries() as queries:
        await QsTagged.objects.bulk_create(items)
    assert "unnest(" not in queries.sql[0] and "VALUES" in queries.sql[0]
    assert sorted(t[1] for t in await QsTagged.objects.values_list("tags", flat=True)) == [
        "0",
        "1",
        "2",
    ]


def test_clone_copies_every_slot():
    qs = Note.objects.filter(title="x").order_by("-rank").only("title")[2:5].select_for_update()
    clone = qs._clone()
    for slot in type(qs).__slots__:
        if slot != "_cache":
            assert getattr(clone, slot) == getattr(qs, slot), slot


async def test_count_exists_and_aggregate_respect_slices_and_distinct(db):
    from aksara import Count, Max, Sum

    await Note.objects.bulk_create([Note(title=f"n{i}", rank=i % 3) for i in range(6)])
    ordered = Note.objects.order_by("title")
    assert await ordered[:4].aggregate(total=Sum("rank"), n=Count()) == {"total": 3, "n": 4}
    assert await ordered[4:].aggregate(top=Max("rank")) == {"top": 2}
    assert await Note.objects.values("rank").distinct().count() == 3
    assert await ordered[2:].exists() and not await ordered[6:].exists()
    assert await ordered.values("title")[:2].aggregate(n=Count()) == {"n": 2}
    with pytest.raises(QueryError, match="not among the selected fields"):
        await ordered.values("title")[:2].aggregate(total=Sum("rank"))


async def test_filter_text_postgresql_cannot_hold_is_refused_before_sql(db):
    import enum

    class Name(enum.StrEnum):
        NUL = "a\x00b"

    await make_authors()
    bad = ["a\x00b", "\ud800", Name.NUL]
    for value in bad:
        with pytest.raises(QueryError, match=r"Author\.name: text"):
            await Author.objects.filter(name=value)
        with pytest.raises(QueryError, match=r"Author\.name: text"):
            await Author.objects.filter(name__in=["Ada", value])
        with pytest.raises(QueryError, match=r"Author\.name: text"):
            await Author.objects.get(name=value)
    # Values that hold no text go straight through.
    assert [a.name for a in await Author.objects.filter(age=36)] == ["Ada"]
    assert (await Author.objects.get(age=36.0)).name == "Ada"
