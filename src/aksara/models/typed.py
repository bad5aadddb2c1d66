"""``TypedModel``: a model whose constructor type checkers check.

A subclass declares each field with its class as the annotation::

    class Post(TypedModel):
        title: fields.String = fields.String(max_length=200)
        views: fields.Integer = fields.Integer(default=0)

mypy and pyright then see ``Post(title=..., views=...)`` as a keyword-only constructor
(PEP 681, ``dataclass_transform``): a misspelt or unknown keyword, a value of the wrong
type and a missing required field are errors. A field is optional when it is given
``default=`` (or ``default_factory``-like callables through ``default=``); a nullable
field without a default is still required, so give it ``default=None``. Unannotated
attributes (a ``ManyToMany``, the automatic ``id``) are not constructor parameters to the
checkers, though ``Post(id=...)`` works when the code runs. A relation's key column and
reverse accessor are declared with ``fields.declared()`` (see ``aksara.fields.declarations``).
At run time a ``TypedModel`` is a ``Model`` like any other: the annotations change nothing
there.
"""

from __future__ import annotations

from typing import dataclass_transform

from aksara.fields import (
    JSON,
    URL,
    UUID,
    Array,
    BigInteger,
    BigIntegerRange,
    Binary,
    Boolean,
    Date,
    DateRange,
    DateTime,
    DateTimeRange,
    Decimal,
    DecimalRange,
    Duration,
    Email,
    Enum,
    FileField,
    FilePath,
    Float,
    ForeignKey,
    ImageField,
    Integer,
    IntegerRange,
    IPAddress,
    OneToOne,
    PositiveBigInteger,
    PositiveInteger,
    PositiveSmallInteger,
    Slug,
    SmallInteger,
    String,
    Text,
    Time,
    Vector,
    declared,
)
from aksara.models.base import Model


@dataclass_transform(
    kw_only_default=True,
    field_specifiers=(
        String,
        Text,
        Email,
        URL,
        Slug,
        FilePath,
        Integer,
        SmallInteger,
        BigInteger,
        PositiveInteger,
        PositiveSmallInteger,
        PositiveBigInteger,
        Float,
        Decimal,
        Boolean,
        UUID,
        JSON,
        Enum,
        IPAddress,
        Binary,
        DateTime,
        Date,
        Time,
        Duration,
        Array,
        Vector,
        FileField,
        ImageField,
        IntegerRange,
        BigIntegerRange,
        DecimalRange,
        DateRange,
        DateTimeRange,
        ForeignKey,
        OneToOne,
        declared,
    ),
)
class TypedModel(Model):
    """The base of models whose constructor type checkers check (see the module)."""

    class Meta:
        abstract = True
