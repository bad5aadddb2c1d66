"""The SQLAlchemy escape hatch (``Model.c``, Core expressions in querysets, ``from_statement``),
conditions of their own (``Exists``), ``ExpressionWrapper``, ``F`` paths and date arithmetic."""

import datetime as dt

import pytest
import sqlalchemy as sa

from aksara import F, Model, Q, fields
from aksara.exceptions import QueryError
from aksara.query import Exists, OuterRef
from aksara.query.functions import ExpressionWrapper, Lower
from tests.query.models import Author, Note
from tests.relations.models import RlAuthor, RlPost


class EhBooking(Model):
    table = fields.Integer()  # a field may be called "table": it wins over Model.table
    starts = fields.Date()
    ends = fields.Date()


async def make_notes():
    await Note.objects.bulk_create([Note(title=f"t{i}", rank=i) for i in range(5)])


def ranks(rows):
    return sorted(rows)


def test_model_table_and_columns():
    assert Note.table is Note._meta.table
    assert Note.c.rank is Note._meta.table.c.rank
    assert isinstance(EhBooking.table, fields.Integer)  # the field, not the Table
    assert EhBooking.c.table is EhBooking._meta.table.c.table
    with pytest.raises(AttributeError):
        Note(title="x").c  # noqa: B018 (a class attribute only)


async def test_filter_and_exclude_take_sqlalchemy_conditions(db):
    await make_notes()
    assert ranks(await Note.objects.filter(Note.c.rank > 2).values_list("rank", flat=True)) == [
        3,
        4,
    ]
    assert ranks(await Note.objects.exclude(Note.c.rank > 2).values_list("rank", flat=True)) == [
        0,
        1,
        2,
    ]
    mixed = Note.objects.filter(Q(Note.c.rank == 1) | Q(title="t4"))
    assert ranks(await mixed.values_list("rank", flat=True)) == [1, 4]
    both = Note.objects.filter(Note.c.rank >= 1, sa.func.length(Note.c.title) == 2, rank__lt=3)
    assert ranks(await both.values_list("rank", flat=True)) == [1, 2]


async def test_sqlalchemy_values_are_parameters_and_plans_are_shared(db):
    await make_notes()
    sql, args = Note.objects.filter(Note.c.rank > 2).sql()
    assert "$1" in sql and "2" not in sql.replace("$1", "") and args == [2]
    plans = len(Note._meta.plans)
    assert await Note.objects.filter(Note.c.rank > 3).count() == 1
    assert await Note.objects.filter(Note.c.rank > 0).count() == 4
    assert len(Note._meta.plans) == plans + 1  # one count plan serves both values
    hostile = "x'; DROP TABLE note; --"
    sql, args = Note.objects.filter(Note.c.title == hostile).sql()
    assert hostile not in sql and args == [hostile]
    assert await Note.objects.filter(Note.c.title == hostile).count() == 0


async def test_in_and_not_in_lists_are_one_array_parameter(db):
    await make_notes()
    sql, args = Note.objects.filter(Note.c.rank.in_([1, 3])).sql()
    assert "ANY" in sql and args == [[1, 3]]
    assert ranks(
        await Note.objects.filter(Note.c.rank.in_([1, 3])).values_list("rank", flat=True)
    ) == [1, 3]
    assert ranks(
        await Note.objects.filter(Note.c.rank.not_in([1, 3])).values_list("rank", flat=True)
    ) == [0, 2, 4]
    assert await Note.objects.filter(Note.c.rank.in_([])).count() == 0
    assert await Note.objects.filter(Note.c.rank.not_in([])).count() == 5


async def test_annotate_and_order_by_sqlalchemy_expressions(db):
    await make_notes()
    distance = sa.func.abs(Note.c.rank - 2, type_=sa.Integer())
    rows = await (
        Note.objects.annotate(d=distance)
        .order_by(distance, Note.c.rank.desc())
        .values_list("rank", "d")
    )
    assert rows == [(2, 0), (3, 1), (1, 1), (4, 2), (0, 2)]
    # On instances, and filtered on as an annotation (its type tells aksara the lookups).
    far = await Note.objects.annotate(d=distance).filter(d__gte=2).order_by("rank")
    assert [(n.rank, n.d) for n in far] == [(0, 2), (4, 2)]
    assert (await Note.objects.order_by(Note.c.rank).last()).rank == 4
    assert (await Note.objects.order_by(Note.c.rank.desc()).last()).rank == 0
    assert (await Note.objects.order_by(Note.c.rank.asc()).first()).rank == 0


async def test_untyped_sqlalchemy_functions_need_a_type(db):
    await make_notes()
    untyped = sa.func.my_unknown_function(Note.c.rank)
    with pytest.raises(QueryError, match="give it a type"):
        await Note.objects.annotate(x=untyped).filter(x=1)
    typed = ExpressionWrapper(sa.func.abs(Note.c.rank - 4), output_field=fields.Float())
    got = await Note.objects.annotate(x=typed).filter(x__lt=2).values_list("x", flat=True)
    assert sorted(got) == [0.0, 1.0]


async def test_grouped_sqlalchemy_aggregates(db):
    await Author.objects.create(name="A", email="a@x", age=30, active=True)
    await Author.objects.create(name="B", email="b@x", age=40, active=True)
    await Author.objects.create(name="C", email="c@x", age=50, active=False)
    rows = await (
        Author.objects.values("active")
        .annotate(total=sa.func.sum(Author.c.age, type_=sa.Integer()))
        .order_by("active")
    )
    assert rows == [{"active": False, "total": 50}, {"active": True, "total": 70}]


async def test_from_statement_returns_instances(db):
    await make_notes()
    stmt = sa.select(Note.table).where(Note.c.rank >= 3).order_by(Note.c.rank)
    assert [n.rank for n in await Note.objects.from_statement(stmt)] == [3, 4]
    plans = len(Note._meta.plans)
    other = sa.select(Note.table).where(Note.c.rank >= 1).order_by(Note.c.rank)
    assert [n.rank for n in await Note.objects.from_statement(other)] == [1, 2, 3, 4]
    assert len(Note._meta.plans) == plans
    text = sa.text("SELECT * FROM note WHERE rank = :r").bindparams(r=2)
    (note,) = await Note.objects.from_statement(text)
    assert note.rank == 2 and note.is_saved
    note.body = "changed"
    await note.save()
    assert (await Note.objects.get(rank=2)).body == "changed"
    # Extra columns become attributes, as with raw().
    labelled = sa.select(Note.table, (Note.c.rank * 10).label("tens")).where(Note.c.rank == 1)
    (one,) = await Note.objects.from_statement(labelled)
    assert one.tens == 10


async def test_from_statement_refuses_what_is_not_a_statement(db):
    with pytest.raises(QueryError, match="takes a SQLAlchemy select"):
        await Note.objects.from_statement("SELECT * FROM note")
    with pytest.raises(QueryError, match="call it on the manager"):
        await Note.objects.filter(rank=1).from_statement(sa.select(Note.table))
    with pytest.raises(QueryError, match="primary key"):
        await Note.objects.from_statement(sa.select(Note.c.title))


async def test_exists_is_a_condition_of_its_own(db):
    await Author.objects.create(name="A", email="a@x", age=3)
    await Author.objects.create(name="B", email="b@x", age=5)
    await Note.objects.create(title="A", rank=1)
    has_note = Exists(Note.objects.filter(title=OuterRef("name")))
    assert [a.name for a in await Author.objects.filter(has_note)] == ["A"]
    assert [a.name for a in await Author.objects.filter(~has_note)] == ["B"]
    assert [a.name for a in await Author.objects.exclude(has_note)] == ["B"]
    assert [a.name for a in await Author.objects.filter(has_note | Q(age=5))] == ["A", "B"]
    assert [a.name for a in await Author.objects.filter(has_note & Q(age=5))] == []
    with pytest.raises(QueryError, match="is not boolean"):
        Author.objects.filter(Lower("name")).sql()
    with pytest.raises(TypeError, match="Q\\(\\) takes"):
        Q("name")
    # A boolean field or function is a condition too.
    assert await Author.objects.filter(F("active")).count() == 2


async def test_expression_wrapper_types_arithmetic(db):
    await Author.objects.create(name="A", email="a@x", age=3)
    wrapped = ExpressionWrapper(F("age") * 2, output_field=fields.Float())
    (value,) = await Author.objects.annotate(x=wrapped).values_list("x", flat=True)
    assert value == 6  # no cast: PostgreSQL's integer, read as a Float field reads it
    with pytest.raises(QueryError, match="needs output_field="):
        ExpressionWrapper(F("age"), output_field=None)


async def test_f_reads_json_key_paths_and_single_valued_relations(db):
    await Author.objects.create(name="A", email="a@x", profile={"address": {"city": "Oslo"}})
    await Author.objects.create(name="B", email="b@x", profile={"address": {"city": "Rome"}})
    cities = Author.objects.annotate(city=F("profile__address__city"))
    assert await cities.values_list("city", flat=True) == ["Oslo", "Rome"]
    assert await cities.filter(city="Rome").values_list("name", flat=True) == ["B"]
    ada = await RlAuthor.objects.create(name="Ada", email="ada@x")
    await RlPost.objects.create(title="p", author=ada)
    (post,) = await RlPost.objects.annotate(by=F("author__name"))
    assert post.by == "Ada"
    with pytest.raises(QueryError, match="multi-valued"):
        RlAuthor.objects.annotate(t=F("posts__title"))


async def test_date_and_datetime_differences_are_timedeltas(db):
    await EhBooking.objects.create(table=1, starts=dt.date(2026, 1, 1), ends=dt.date(2026, 1, 4))
    (length,) = await EhBooking.objects.annotate(n=F("ends") - F("starts")).values_list(
        "n", flat=True
    )
    assert length == dt.timedelta(days=3)
    long_ones = EhBooking.objects.annotate(n=F("ends") - F("starts")).filter(
        n__gte=dt.timedelta(days=2)
    )
    assert await long_ones.count() == 1
    await Author.objects.create(name="A", email="a@x")
    (gap,) = await Author.objects.annotate(g=F("touched") - F("joined")).values_list("g", flat=True)
    assert isinstance(gap, dt.timedelta) and gap >= dt.timedelta(0)


async def test_hostile_json_keys_in_f_paths_are_parameters(db):
    hostile = "x'); DROP TABLE author; --"
    await Author.objects.create(name="A", email="a@x", profile={hostile: "boom"})
    qs = Author.objects.annotate(v=F(f"profile__{hostile}"))
    sql, args = qs.sql()
    assert hostile not in sql and hostile in args
    assert await qs.values_list("v", flat=True) == ["boom"]
    with pytest.raises(QueryError):
        Author.objects.annotate(v=F("name__x'); DROP TABLE author; --"))
