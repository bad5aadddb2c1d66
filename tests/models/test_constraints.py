"""Meta.constraints and Meta.indexes with conditions and expressions, enforced by the
real database, and refused at class definition when they cannot be built."""

import datetime as dt

import pytest

import aksara
from aksara import Model, Q, fields
from aksara.exceptions import (
    CheckViolation,
    ConfigurationError,
    ExclusionViolation,
    FieldError,
    UniqueViolation,
)
from aksara.models import Index
from aksara.models.constraints import (
    CheckConstraint,
    Deferrable,
    ExclusionConstraint,
    UniqueConstraint,
)
from aksara.query.functions import Func, Lower
from aksara.registry import registry

UTC = dt.UTC


class CoProduct(Model):
    sku = fields.String(max_length=20)
    email = fields.String(max_length=100, default="")
    price = fields.Decimal(precision=8, scale=2)
    active = fields.Boolean(default=True)
    rank = fields.Integer(nullable=True)

    class Meta:
        constraints = [
            CheckConstraint(condition=Q(price__gt=0), name="price_positive"),
            UniqueConstraint(fields=["sku"], condition=Q(active=True), name="active_sku"),
            UniqueConstraint(Lower("email"), name="email_ci", condition=~Q(email="")),
            UniqueConstraint(fields=["rank"], nulls_distinct=False, name="one_null_rank"),
        ]
        indexes = [Index("sku", condition=Q(active=True), include=["price"], name="live_sku")]


class CoBooking(Model):
    room = fields.Integer()
    starts = fields.DateTime()
    ends = fields.DateTime()
    slot = fields.Integer(default=0)

    class Meta:
        constraints = [
            ExclusionConstraint(
                name="no_overlap",
                expressions=[
                    (
                        Func("starts", "ends", function="tstzrange", output_field=fields.Text()),
                        "&&",
                    ),
                    ("room", "="),
                ],
            ),
            UniqueConstraint(fields=["room", "slot"], deferrable=Deferrable.DEFERRED, name="slot"),
        ]


def at(hour):
    return dt.datetime(2026, 1, 1, hour, tzinfo=UTC)


async def test_check_constraint(db):
    with pytest.raises(CheckViolation) as caught:
        async with aksara.transaction():
            await CoProduct.objects.create(sku="a", price="-1")
    assert caught.value.model == "CoProduct"
    assert caught.value.constraint == "ck_co_product_price_positive"


async def test_partial_unique_constraint_compares_matching_rows_only(db):
    await CoProduct.objects.create(sku="a", price="1", active=False, rank=1)
    await CoProduct.objects.create(sku="a", price="1", active=False, rank=2)  # inactive: allowed
    await CoProduct.objects.create(sku="a", price="1", active=True, rank=3)
    with pytest.raises(UniqueViolation) as caught:
        async with aksara.transaction():
            await CoProduct.objects.create(sku="a", price="2", active=True, rank=4)
    assert caught.value.model == "CoProduct" and caught.value.fields == ("sku",)


async def test_unique_expression_and_nulls_not_distinct(db):
    await CoProduct.objects.create(sku="a", price="1", email="Ada@x.org", rank=1)
    with pytest.raises(UniqueViolation, match="email_ci"):
        async with aksara.transaction():
            await CoProduct.objects.create(sku="b", price="1", email="ada@X.org", rank=2)
    await CoProduct.objects.create(sku="c", price="1", rank=3)  # "" is left out
    await CoProduct.objects.create(sku="d", price="1", rank=4)
    with pytest.raises(UniqueViolation, match="one_null_rank"):
        async with aksara.transaction():
            await CoProduct.objects.create(sku="e", price="1", rank=None)
            await CoProduct.objects.create(sku="f", price="1", rank=None)


async def test_exclusion_constraint(db):
    await CoBooking.objects.create(room=1, starts=at(9), ends=at(11))
    await CoBooking.objects.create(room=2, starts=at(9), ends=at(11), slot=1)  # another room
    await CoBooking.objects.create(room=1, starts=at(11), ends=at(12), slot=2)  # adjacent
    with pytest.raises(ExclusionViolation) as caught:
        async with aksara.transaction():
            await CoBooking.objects.create(room=1, starts=at(10), ends=at(13), slot=3)
    assert (
        caught.value.model == "CoBooking" and caught.value.constraint == "ex_co_booking_no_overlap"
    )


async def test_deferred_unique_constraint_is_checked_at_commit(db):
    a = await CoBooking.objects.create(room=5, starts=at(1), ends=at(2), slot=1)
    b = await CoBooking.objects.create(room=5, starts=at(3), ends=at(4), slot=2)
    async with aksara.transaction():  # swapping the slots passes through a duplicate
        await CoBooking.objects.filter(pk=a.pk).update(slot=2)
        await CoBooking.objects.filter(pk=b.pk).update(slot=1)
    assert (await CoBooking.objects.get(pk=a.pk)).slot == 2


def test_the_ddl_shows_every_declaration():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = postgresql.dialect()
    table = CoProduct._meta.table
    ddl = str(CreateTable(table).compile(dialect=dialect))
    assert (
        "CONSTRAINT ck_co_product_price_positive CHECK (co_product.price > 0)"
        in ddl.replace("0::NUMERIC(8, 2)", "0")
        or "price > 0" in ddl
    )
    assert "UNIQUE NULLS NOT DISTINCT (rank)" in ddl
    indexes = {i.name: str(CreateIndex(i).compile(dialect=dialect)) for i in table.indexes}
    assert "WHERE active = true" in indexes["active_sku"]
    assert "(lower(email)) WHERE email != ''" in indexes["email_ci"]
    assert "INCLUDE (price)" in indexes["live_sku"]
    booking = str(CreateTable(CoBooking._meta.table).compile(dialect=dialect))
    assert "EXCLUDE USING gist" in booking and "DEFERRABLE INITIALLY DEFERRED" in booking


def _define(name, **meta):
    try:
        return type(
            name,
            (Model,),
            {"__module__": __name__, "x": fields.Integer(), "Meta": type("Meta", (), meta)},
        )
    finally:
        model = registry.get(name)
        if model is not None:
            registry.unregister(model)


@pytest.mark.parametrize(
    ("meta", "error", "message"),
    [
        ({"constraints": [CheckConstraint(condition=Q(nope=1), name="c")]}, FieldError, "nope"),
        ({"constraints": ["x > 0"]}, ConfigurationError, "takes CheckConstraint"),
        (
            {
                "constraints": [
                    UniqueConstraint(fields=["x"], name="a"),
                    UniqueConstraint(fields=["x"], name="a"),
                ]
            },
            ConfigurationError,
            "used twice",
        ),
        ({"indexes": [Index("x", condition=Q(y=1), name="ix_y")]}, FieldError, "'y'"),
    ],
)
def test_bad_declarations_fail_at_class_definition(meta, error, message):
    with pytest.raises(error, match=message):
        _define("CoBad", **meta)


def test_declaration_arguments_are_checked():
    with pytest.raises(ConfigurationError, match="one of the two"):
        UniqueConstraint(name="u")
    with pytest.raises(ConfigurationError, match="cannot defer"):
        UniqueConstraint(fields=["x"], name="u", condition=Q(x=1), deferrable=Deferrable.DEFERRED)
    with pytest.raises(ConfigurationError, match="not an operator"):
        ExclusionConstraint(name="e", expressions=[("x", "; DROP")])
    with pytest.raises(ConfigurationError, match="identifier"):
        CheckConstraint(condition=Q(x=1), name="Robert'); DROP TABLE students;--")
    with pytest.raises(ConfigurationError, match="takes a Q"):
        CheckConstraint(condition="x > 0", name="c")
    with pytest.raises(ConfigurationError, match="method="):
        Index("x", method="nope")
    with pytest.raises(ConfigurationError, match="identifier"):
        Index("x", name="bad name!")
    with pytest.raises(ConfigurationError, match="needs name="):
        Index(Lower("x"))


def test_a_condition_across_a_relation_is_refused():
    with pytest.raises(ConfigurationError, match="own fields"):
        type(
            "CoRelated",
            (Model,),
            {
                "__module__": __name__,
                "owner": fields.ForeignKey(CoProduct, on_delete=aksara.CASCADE),
                "Meta": type(
                    "Meta",
                    (),
                    {"constraints": [CheckConstraint(condition=Q(owner__sku="a"), name="c")]},
                ),
            },
        )
    model = registry.get("CoRelated")
    if model is not None:
        registry.unregister(model)


async def test_validate_constraints_asks_before_saving(db):
    from aksara.exceptions import ValidationError

    await CoProduct.objects.create(sku="a", price="1", rank=1)
    dup = CoProduct(sku="a", price="-3", rank=1)
    dup.full_clean()
    with pytest.raises(ValidationError) as caught:
        await dup.validate_constraints()
    errors = caught.value.errors
    assert errors["sku"] == ["CoProduct with this sku already exists"]  # active_sku
    assert errors["rank"] == ["CoProduct with this rank already exists"]
    assert "Constraint 'price_positive' is violated" in errors["__all__"]
    assert await CoProduct.objects.count() == 1  # nothing was written
    inactive = CoProduct(sku="a", price="2", rank=2, active=False)  # the condition leaves it out
    await inactive.validate_constraints()
    await inactive.save()
    await inactive.validate_constraints()  # itself is not a duplicate
    with pytest.raises(ValidationError):
        await CoProduct(sku="z", price="0", rank=3).validate_constraints()
    await CoProduct.objects.create(sku="n", price="1", rank=None)
    with pytest.raises(ValidationError, match="rank already exists"):  # NULLs are equal here
        await CoProduct(sku="z", price="1", rank=None).validate_constraints()
    await CoProduct(sku="z", price="1", rank=None).validate_constraints(exclude=("rank",))
