"""prefetch_related on a queryset of at most FOLD_ROWS rows: its first levels come back in
the same statement, as arrays of rows, and read the same as one query per relation."""

from typing import Any

import pytest

from aksara import Model, fields
from aksara.fields import CASCADE, SET_NULL
from aksara.query import prefetch_related_objects
from aksara.query._fold import FOLD_ROWS
from aksara.testing import capture_queries


class FpShelf(Model):
    name = fields.String(max_length=50)


class FpLabel(Model):
    name = fields.String(max_length=50)
    settings = fields.JSON(default=dict)

    class Meta:
        ordering = ("-name",)


class FpBook(Model):
    title = fields.String(max_length=50)
    price = fields.Decimal(precision=8, scale=2, default=0)
    shelf = fields.ForeignKey(FpShelf, on_delete=SET_NULL, nullable=True, related_name="books")
    labels = fields.ManyToMany(FpLabel, related_name="books")

    class Meta:
        ordering = ("title",)
        soft_delete = True


class FpCover(Model):
    """A reverse one-to-one."""

    book = fields.OneToOne(FpBook, on_delete=CASCADE, related_name="cover")
    colour = fields.String(max_length=20)


class FpScan(Model):
    """Rows with an array column: asyncpg decodes those only as a statement's own columns."""

    book = fields.ForeignKey(FpBook, on_delete=CASCADE, related_name="scans")
    pages = fields.Array(base_type="integer")


class FpSticker(Model):
    """A forward relation to rows with a JSON column (converted after the driver's read)."""

    label = fields.ForeignKey(FpLabel, on_delete=CASCADE, related_name="stickers")
    note = fields.JSON(default=dict)


async def library() -> FpShelf:
    shelf = await FpShelf.objects.create(name="north")
    await FpShelf.objects.create(name="empty")
    labels = [await FpLabel.objects.create(name=n, settings={"n": n}) for n in "abc"]
    for i in range(6):
        book = await FpBook.objects.create(
            title=f"b{i}", price=f"{i}.50", shelf=shelf if i % 3 else None
        )
        await book.labels.add(*labels[: i % 4])
        if i % 2:
            await FpCover.objects.create(book=book, colour=f"c{i}")
        await FpScan.objects.create(book=book, pages=[i, i + 1])
    return shelf


def summary(book: FpBook) -> tuple[Any, ...]:
    cover = book.cover
    return (
        book.title,
        book.price,
        book.shelf.name if book.shelf else None,
        [(label.name, label.settings) for label in book.labels],
        cover.colour if cover else None,
    )


async def test_get_reads_every_relation_kind_in_one_statement(db):
    await library()
    with capture_queries() as queries:
        book = await FpBook.objects.prefetch_related("labels", "shelf", "cover").get(title="b3")
        labels = [("c", {"n": "c"}), ("b", {"n": "b"}), ("a", {"n": "a"})]
        assert summary(book) == ("b3", book.price, None, labels, "c3")
        # The reverse caches are filled as well.
        assert book.cover.book is book
    assert len(queries) == 1
    assert "array((SELECT row(" in queries.sql[0]
    assert str(book.price) == "3.50"


async def test_a_page_reads_the_same_as_one_query_per_relation(db):
    await library()
    lookups = ("labels", "shelf", "cover", "scans")
    unfolded = await FpBook.objects.order_by("title")
    await prefetch_related_objects(unfolded, *lookups)
    with capture_queries() as queries:
        page = await FpBook.objects.order_by("title").prefetch_related(*lookups)[1:5]
    # Scans have an array column: they come from a query of their own.
    assert len(queries) == 2
    assert "OFFSET" in queries.sql[0] and "scans" not in queries.sql[0].split("FROM")[0]
    assert [summary(b) for b in page] == [summary(b) for b in unfolded[1:5]]
    assert [[s.pages for s in b.scans] for b in page] == [[[i, i + 1]] for i in range(1, 5)]


async def test_reverse_relations_know_their_owner(db):
    shelf = await library()
    with capture_queries() as queries:
        found = await FpShelf.objects.prefetch_related("books").get(pk=shelf.pk)
        assert [b.title for b in found.books] == ["b1", "b2", "b4", "b5"]
        assert all(b.shelf is found for b in found.books)
        empty = await FpShelf.objects.prefetch_related("books").get(name="empty")
        assert list(empty.books) == []
    assert len(queries) == 2


async def test_soft_deleted_rows_are_left_out(db):
    shelf = await library()
    await (await FpBook.objects.get(title="b2")).delete()
    found = await FpShelf.objects.prefetch_related("books").get(pk=shelf.pk)
    assert [b.title for b in found.books] == ["b1", "b4", "b5"]


async def test_deeper_levels_run_as_queries_on_the_folded_rows(db):
    shelf = await library()
    with capture_queries() as queries:
        found = await FpShelf.objects.prefetch_related("books__labels", "books").get(pk=shelf.pk)
        names = [[label.name for label in b.labels] for b in found.books]
    assert len(queries) == 2  # the shelf with its books, then the books' labels
    assert names == [["a"], ["b", "a"], [], ["a"]]


@pytest.mark.parametrize(("stop", "statements"), [(FOLD_ROWS, 1), (FOLD_ROWS + 1, 2)])
async def test_only_small_querysets_are_folded(db, stop, statements):
    await library()
    with capture_queries() as queries:
        books = await FpBook.objects.prefetch_related("labels")[:stop]
    assert len(queries) == statements
    assert [len(list(b.labels)) for b in books] == [0, 1, 2, 3, 0, 1]


async def test_unsliced_querysets_and_other_shapes_keep_one_query_per_relation(db):
    await library()
    with capture_queries() as queries:
        await FpBook.objects.prefetch_related("labels")
        await FpBook.objects.prefetch_related("labels").only("title")[:2]
        await FpBook.objects.prefetch_related("labels").distinct()[:2]
    assert len(queries) == 6


async def test_single_valued_relations_and_their_way_back(db):
    await library()
    label = await FpLabel.objects.get(name="b")
    sticker = await FpSticker.objects.create(label=label, note={"k": 1})
    with capture_queries() as queries:
        found = await FpSticker.objects.prefetch_related("label").get(pk=sticker.pk)
        covers = await FpCover.objects.prefetch_related("book").order_by("colour")[:2]
        labels = await FpLabel.objects.prefetch_related("stickers").order_by("name")[:3]
    assert len(queries) == 3
    assert found.label.settings == {"n": "b"} and found.label.name == "b" and found.note == {"k": 1}
    assert [c.book.title for c in covers] == ["b1", "b3"]
    assert all(c.book.cover is c for c in covers)  # a one-to-one's way back
    assert [[s.note for s in x.stickers] for x in labels] == [[], [{"k": 1}], []]
    assert [x.name for x in labels] == ["a", "b", "c"]
