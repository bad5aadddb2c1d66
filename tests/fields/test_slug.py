"""Slug fields: validation, generation from another field, unique suffixes."""

import pytest

import aksara
from aksara import Model, fields
from aksara.exceptions import ConfigurationError, IntegrityError
from aksara.fields.slug import slugify
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import FcArticle, FcSlugged


async def test_column_types(db):
    assert await column_type(FcSlugged, "slug") == "character varying(50)"
    assert await column_type(FcArticle, "slug") == "character varying(30)"


async def test_round_trip_null_and_filter(db):
    created = await FcSlugged.objects.create(slug="hello_world-2", unicode_slug="héllo-wörld")
    loaded = await FcSlugged.objects.get(pk=created.pk)
    assert (loaded.slug, loaded.unicode_slug) == ("hello_world-2", "héllo-wörld")
    empty = await FcSlugged.objects.create()
    assert (await FcSlugged.objects.get(pk=empty.pk)).slug is None
    assert [s.pk for s in await FcSlugged.objects.filter(slug__startswith="hello")] == [created.pk]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "hello world", "Invalid slug"),
        ("slug", "héllo", "use only ASCII letters"),
        ("slug", "a/b", "Invalid slug"),
        ("slug", "", "Invalid slug"),
        ("slug", "x" * 51, "at most 50 characters"),
        ("unicode_slug", "héllo wörld", "use only letters"),
    ],
)
async def test_rejected_values_write_nothing(db, field, value, message):
    await assert_rejected(FcSlugged, field, message, **{field: value})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello World Article", "hello-world-article"),
        ("  Déjà vu -- again!  ", "deja-vu-again"),
        ("snake_case and CAPS", "snake_case-and-caps"),
        ("-_trim me_-", "trim-me"),
    ],
)
def test_slugify(text, expected):
    assert slugify(text) == expected


def test_slugify_unicode():
    assert slugify("Héllo Wörld", allow_unicode=True) == "héllo-wörld"


async def test_auto_from_fills_an_empty_slug(db):
    article = await FcSlugged.objects.create(title="Hello World Article")
    assert article.auto == "hello-world-article"
    assert (await FcSlugged.objects.get(pk=article.pk)).auto == "hello-world-article"
    blank = await FcSlugged.objects.create(title="Second Post", auto="")
    assert blank.auto == "second-post"


async def test_auto_from_never_overwrites_an_existing_slug(db):
    article = await FcSlugged.objects.create(title="First Title", auto="custom")
    assert article.auto == "custom"
    generated = await FcSlugged.objects.create(title="Original Title")
    generated.title = "Renamed Title"
    await generated.save()
    assert (await FcSlugged.objects.get(pk=generated.pk)).auto == "original-title"


async def test_auto_from_without_unique_may_repeat(db):
    one = await FcSlugged.objects.create(title="Same")
    two = await FcSlugged.objects.create(title="Same")
    assert one.auto == two.auto == "same"


async def test_unique_generated_slug_gets_a_suffix(db):
    first = await FcArticle.objects.create(title="Hello World Article")
    second = await FcArticle.objects.create(title="Hello World Article")
    third = await FcArticle.objects.create(title="Hello, World Article!")
    assert [first.slug, second.slug, third.slug] == [
        "hello-world-article",
        "hello-world-article-2",
        "hello-world-article-3",
    ]
    stored = await FcArticle.objects.order_by("slug").values_list("slug", flat=True)
    assert stored == ["hello-world-article", "hello-world-article-2", "hello-world-article-3"]


async def test_unique_suffix_keeps_max_length(db):
    title = "A very long title that goes past thirty characters"
    slugs = [(await FcArticle.objects.create(title=title)).slug for _ in range(3)]
    assert slugs == [
        "a-very-long-title-that-goes-pa",
        "a-very-long-title-that-goes-2",
        "a-very-long-title-that-goes-3",
    ]
    assert all(len(s) <= 30 for s in slugs)


async def test_unique_suffix_skips_taken_suffixes_beyond_one_batch(db):
    for n in range(1, 13):
        slug = "busy" if n == 1 else f"busy-{n}"
        await FcArticle.objects.create(title="x", slug=slug)
    article = await FcArticle.objects.create(title="Busy")
    assert article.slug == "busy-13"


async def test_unique_generated_on_update_when_emptied(db):
    await FcArticle.objects.create(title="Topic")
    other = await FcArticle.objects.create(title="Other", slug="other")
    other.title = "Topic"
    other.slug = None
    await other.save()
    assert other.slug == "topic-2"
    assert (await FcArticle.objects.get(pk=other.pk)).slug == "topic-2"


async def test_bulk_create_gives_each_row_its_own_slug(db):
    await FcArticle.objects.create(title="Launch")
    made = await FcArticle.objects.bulk_create(
        [FcArticle(title="Launch"), FcArticle(title="Launch"), FcArticle(title="Other")]
    )
    assert [a.slug for a in made] == ["launch-2", "launch-3", "other"]
    assert await FcArticle.objects.count() == 4


async def test_explicit_taken_slug_is_an_integrity_error(db):
    await FcArticle.objects.create(title="A", slug="taken")
    with pytest.raises(IntegrityError):
        async with aksara.transaction():
            await FcArticle.objects.create(title="B", slug="taken")


async def test_generated_slug_failing_validation_writes_nothing(db):
    await assert_rejected(FcArticle, "slug", "cannot be null", title="!!!")


def test_auto_from_must_name_a_field():
    with pytest.raises(ConfigurationError, match="auto_from='headline'"):

        class FcBadSlug(Model):
            title = fields.String()
            slug = fields.Slug(auto_from="headline")


@pytest.mark.parametrize(
    ("values", "message"),
    [({}, "cannot be null"), ({"title": "x" * 201}, "at most 200 characters")],
)
async def test_a_wrong_title_is_the_only_error_of_a_slug_made_from_it(db, values, message):
    with pytest.raises(aksara.ValidationError) as caught:
        await FcArticle.objects.create(**values)
    assert caught.value.model == "FcArticle"
    assert set(caught.value.errors) == {"title"}
    assert message in caught.value.errors["title"][0]
    assert await FcArticle.objects.count() == 0


async def test_a_slug_given_wrong_is_reported_with_the_title(db):
    with pytest.raises(aksara.ValidationError) as caught:
        await FcArticle.objects.create(slug="not a slug")
    assert set(caught.value.errors) == {"title", "slug"}
