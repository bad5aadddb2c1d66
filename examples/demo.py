"""A walk through aksara on an embedded PostgreSQL: create, query, update, delete.

Run it with ``python examples/demo.py`` (see the README's quick start).
"""

from __future__ import annotations

import asyncio

import aksara
from aksara import Count, F, Model, Q, fields


class DemoBook(Model):
    """A book in a small catalogue."""

    title = fields.String(max_length=200, ai_description="The book's title")
    author = fields.String(max_length=100)
    pages = fields.Integer(min_value=1)
    in_stock = fields.Boolean(default=True)
    details = fields.JSON(default=dict)
    added = fields.DateTime(auto_now_add=True)

    class Meta:
        ordering = ("title",)


class DemoReview(Model):
    """A reader's review; deleting a book deletes its reviews (on_delete=CASCADE, the default)."""

    book = fields.ForeignKey(DemoBook, related_name="reviews")
    stars = fields.Integer(min_value=1, max_value=5)


async def main() -> None:
    # No URL configured: aksara starts its embedded PostgreSQL in .aksara/pgdata.
    database = await aksara.connect()
    print(f"connected: {database}")
    await aksara.drop_all()
    await aksara.create_all()

    await DemoBook.objects.bulk_create(
        [
            DemoBook(title="Dune", author="Frank Herbert", pages=412, details={"genre": "sf"}),
            DemoBook(title="Emma", author="Jane Austen", pages=474, details={"genre": "novel"}),
            DemoBook(title="Neuromancer", author="William Gibson", pages=271, in_stock=False),
        ]
    )
    book = await DemoBook.objects.create(title="Persuasion", author="Jane Austen", pages=249)
    print(f"created {await DemoBook.objects.count()} books; last: {book.title!r} ({book.id})")

    austen = await DemoBook.objects.filter(author__icontains="austen").values_list(
        "title", flat=True
    )
    print(f"by Austen: {austen}")
    short_or_out = await DemoBook.objects.filter(Q(pages__lt=300) | Q(in_stock=False))
    print(f"short or out of stock: {[b.title for b in short_or_out]}")

    async with aksara.transaction():
        await DemoBook.objects.filter(author="Jane Austen").update(pages=F("pages") + 10)
        book.in_stock = False
        await book.save()
    book = await DemoBook.objects.get(title="Persuasion")
    print(f"updated: {book.title} now has {book.pages} pages, in stock: {book.in_stock}")

    try:
        await DemoBook.objects.create(title="Nothing", author="Nobody", pages=0)
    except aksara.ValidationError as error:
        print(f"rejected: {error}")

    stats = await DemoBook.objects.aggregate(n=Count(), longest=aksara.Max("pages"))
    print(f"stats: {stats}")
    deleted = await DemoBook.objects.filter(in_stock=False).delete()
    print(f"deleted {deleted} out-of-stock books; {await DemoBook.objects.count()} left")

    dune = await DemoBook.objects.get(title="Dune")
    await dune.reviews.create(stars=5)
    await DemoReview.objects.create(book=dune, stars=4)
    # One query with a JOIN: review.book is loaded, never fetched row by row.
    reviews = await DemoReview.objects.select_related("book").filter(
        book__author__icontains="herbert"
    )
    print(
        f"reviews: {[(r.book.title, r.stars) for r in reviews]}; Dune has {await dune.reviews.count()}"
    )
    await aksara.drop_all()
    await aksara.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
