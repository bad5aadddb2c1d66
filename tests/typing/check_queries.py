"""Querysets and managers: what awaiting, iterating, slicing and shaping them gives."""

from __future__ import annotations

from typing import Any, assert_type

from aksara import Model, fields
from aksara.query import Manager, QuerySet


class Author(Model):
    name = fields.String(max_length=100)


class Book(Model):
    title = fields.String(max_length=200)
    pages = fields.Integer(default=0)


async def queries() -> None:
    assert_type(Book.objects, Manager[Book])
    assert_type(Book.objects.all(), QuerySet[Book])
    assert_type(Book.objects.filter(title="x"), QuerySet[Book])
    assert_type(Book.objects.filter(title="x").exclude(pages=0).order_by("-pages"), QuerySet[Book])
    assert_type(await Book.objects.filter(title="x"), list[Book])
    assert_type(await Book.objects, list[Book])
    assert_type(await Book.objects.get(title="x"), Book)
    assert_type(await Book.objects.get_or_none(title="x"), Book | None)
    assert_type(await Book.objects.first(), Book | None)
    assert_type(await Book.objects.order_by("pages").last(), Book | None)
    assert_type(Book.objects.all()[0:10], QuerySet[Book])
    assert_type(await Book.objects.all()[0], Book)
    async for book in Book.objects.filter(pages__gt=10):
        assert_type(book, Book)
    async for book in Book.objects.all().iterator(chunk_size=100):
        assert_type(book, Book)
    assert_type(await Book.objects.count(), int)
    assert_type(await Book.objects.exists(), bool)
    assert_type(await Book.objects.create(title="x"), Book)
    assert_type(await Book.objects.get_or_create(title="x"), tuple[Book, bool])
    assert_type(await Book.objects.update_or_create(title="x"), tuple[Book, bool])
    assert_type(await Book.objects.filter(pages=0).update(pages=1), int)
    assert_type(await Book.objects.in_bulk([1, 2]), dict[Any, Book])
    assert_type(await Book.objects.aggregate(), dict[str, Any])


async def shapes() -> None:
    rows = Book.objects.values("title", "pages")
    assert_type(rows, QuerySet[Book, dict[str, Any]])
    assert_type(await rows, list[dict[str, Any]])
    assert_type(await rows.filter(pages=1).first(), dict[str, Any] | None)
    assert_type(await Book.objects.values_list("title", "pages"), list[tuple[Any, ...]])
    assert_type(await Book.objects.values_list("title", flat=True), list[Any])
    async for row in Book.objects.values("title"):
        assert_type(row, dict[str, Any])


async def mistakes() -> None:
    await Book.objects.filter(title="x").get_or_create(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
