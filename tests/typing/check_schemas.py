"""API schemas: ``ModelSchema`` is a class statement, usable as an annotation and a base."""

from __future__ import annotations

from typing import Any, assert_type

from pydantic import BaseModel

from aksara import Model, fields
from aksara.contrib.fastapi import ModelSchema, schema_for


class Ticket(Model):
    subject = fields.String(max_length=100)
    seats = fields.Integer(default=1)


class TicketCreate(ModelSchema, model=Ticket, variant="create"):
    coupon: str | None = None


def handle(payload: TicketCreate) -> dict[str, Any]:
    assert_type(payload.coupon, str | None)
    return payload.model_dump()


def build() -> None:
    created = TicketCreate.model_validate({"subject": "x"})
    assert_type(created, TicketCreate)
    assert_type(handle(created), dict[str, Any])
    read = schema_for(Ticket)  # a value (a class made at run time), not an annotation
    assert_type(read, type[BaseModel])
