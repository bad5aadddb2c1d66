"""TypedModel: constructors that type checkers check; plain models take any keywords."""

from __future__ import annotations

import datetime as dt
from typing import assert_type

from aksara import Model, TypedModel, fields


class Shelf(TypedModel):
    label: fields.String = fields.String(max_length=50)


class Volume(TypedModel):
    title: fields.String = fields.String(max_length=200)
    pages: fields.Integer = fields.Integer(default=0)
    subtitle: fields.String[bool] = fields.String(max_length=200, nullable=True, default=None)
    shelf: fields.ForeignKey[Shelf] = fields.ForeignKey(Shelf)
    added: fields.DateTime = fields.DateTime(auto_now_add=True, default=None)


class Loose(Model):
    title = fields.String(max_length=200)


async def constructors(shelf: Shelf) -> None:
    volume = Volume(title="Dune", shelf=shelf)
    assert_type(volume.title, str)
    assert_type(volume.pages, int)
    assert_type(volume.subtitle, str | None)
    assert_type(volume.shelf, Shelf)
    assert_type(volume.added, dt.datetime)
    Volume(title="Dune", shelf=shelf, pages=412, subtitle=None)
    assert_type(await Volume.objects.get(title="Dune"), Volume)
    Loose(title="x", anything="goes")  # a plain model's constructor is not checked


def mistakes(shelf: Shelf) -> None:
    Volume(titel="Dune", shelf=shelf)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Volume(title=3, shelf=shelf)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Volume(shelf=shelf)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
