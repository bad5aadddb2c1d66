"""The relationship examples of the fields reference (spec/fields.md), with the spec's names.

The models are declared inside each test, as the reference writes them; their tables are
created in the test's transaction and the models are forgotten when the test ends.
"""

from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
import sqlalchemy as sa

from aksara import CASCADE, RESTRICT, SET_NULL, Model, fields
from aksara.exceptions import ProtectedError
from aksara.fields.relations import ManyToMany
from aksara.query._compile import DIALECT
from aksara.registry import metadata, registry
from aksara.testing import capture_queries


@pytest.fixture
async def spec_tables(db: Any) -> AsyncIterator[Callable[..., Any]]:
    """``await spec_tables(User, Post)`` creates the models' tables (and junction tables) in
    dependency order inside the test's transaction; the models leave the registry after."""

    async def create(*models: type[Model]) -> None:
        tables = [m._meta.table for m in models]
        for model in models:
            for field in model._meta.fields.values():
                if isinstance(field, ManyToMany):
                    tables.append(field.junction)
        for table in sa.schema.sort_tables(tables):
            await db.execute(str(sa.schema.CreateTable(table).compile(dialect=DIALECT)))
            for index in table.indexes:
                await db.execute(str(sa.schema.CreateIndex(index).compile(dialect=DIALECT)))

    yield create
    for model in [m for m in registry.models.values() if m.__module__ == __name__]:
        for field in model._meta.fields.values():
            if isinstance(field, ManyToMany) and field.junction is not None:
                metadata.remove(field.junction)
        registry.unregister(model)
    # References to models a failed test never defined must not resolve in later tests.
    for name, waiting in list(registry._pending.items()):
        waiting[:] = [c for c in waiting if c.__self__.model.__module__ != __name__]
        if not waiting:
            del registry._pending[name]


async def test_foreign_key_many_to_many_and_one_to_one_examples(spec_tables):
    class Post(Model):
        author = fields.ForeignKey(
            "User",
            on_delete=CASCADE,
            related_name="posts",
        )
        tags = fields.ManyToMany(
            "Tag",
            related_name="posts",
        )

    class UserProfile(Model):
        user = fields.OneToOne(
            "User",
            on_delete=CASCADE,
            related_name="profile",
        )

    class Tag(Model):
        name = fields.String(max_length=50)

    class User(Model):
        email = fields.Email(
            unique=True,
            nullable=False,
            ai_description="User's login email address",
            ai_sensitive=False,
        )

    await spec_tables(User, Tag, Post, UserProfile)
    user = await User.objects.create(email="ada@example.com")
    python = await Tag.objects.create(name="python")
    post = await Post.objects.create(author=user)
    await post.tags.add(python)
    profile = await UserProfile.objects.create(user=user)

    assert [p.id for p in await user.posts.all()] == [post.id]
    assert await user.posts.filter(tags__name="python").count() == 1
    assert [p.id for p in await python.posts.all()] == [post.id]
    assert [u.email for u in await User.objects.filter(posts__tags__name="python")] == [
        "ada@example.com"
    ]
    assert (await Post.objects.get(author__email="ada@example.com")).id == post.id

    with capture_queries() as queries:
        posts = await Post.objects.select_related("author").prefetch_related("tags")
        assert [(p.author.email, [t.name for t in p.tags]) for p in posts] == [
            ("ada@example.com", ["python"])
        ]
    assert len(queries) == 2

    await user.fetch_related("profile")
    assert user.profile == profile
    second = await user.posts.create()
    assert second.author_id == user.id

    await user.delete()  # CASCADE: posts and the profile go too
    assert await Post.objects.count() == 0 and await UserProfile.objects.count() == 0
    assert await Tag.objects.count() == 1


async def test_on_delete_example(spec_tables):
    class User(Model):
        email = fields.Email(unique=True)

    class Category(Model):
        name = fields.String(max_length=50)

    class Tag(Model):
        name = fields.String(max_length=50)

    class Post(Model):
        # Delete posts when author is deleted
        author = fields.ForeignKey(User, on_delete=CASCADE)

        # Set to NULL when category is deleted
        category = fields.ForeignKey(Category, on_delete=SET_NULL, nullable=True)

        # Prevent deletion if posts reference this tag
        primary_tag = fields.ForeignKey(Tag, on_delete=RESTRICT)

    await spec_tables(User, Category, Tag, Post)
    ada = await User.objects.create(email="ada@example.com")
    grace = await User.objects.create(email="grace@example.com")
    news = await Category.objects.create(name="news")
    python = await Tag.objects.create(name="python")
    spare = await Tag.objects.create(name="spare")
    await Post.objects.create(author=ada, category=news, primary_tag=python)
    kept = await Post.objects.create(author=grace, category=news, primary_tag=python)

    await ada.delete()
    assert [p.id for p in await Post.objects.all()] == [kept.id]

    await news.delete()
    assert (await Post.objects.get(id=kept.id)).category_id is None

    with pytest.raises(ProtectedError) as info:
        await python.delete()
    assert info.value.blocking_model == "Post"
    assert await Tag.objects.count() == 2 and await Post.objects.count() == 1
    assert await spare.delete() == 1
    assert [p.id for p in await grace.post_set.all()] == [kept.id]


async def test_complete_example_product_category(spec_tables):
    class ProductStatus(str, Enum):  # noqa: UP042 - as the reference writes it
        DRAFT = "draft"
        ACTIVE = "active"
        DISCONTINUED = "discontinued"

    class Product(Model):
        """E-commerce product model."""

        # Basic info
        name = fields.String(
            max_length=200,
            ai_description="Product display name",
        )
        slug = fields.Slug(
            max_length=200,
            unique=True,
            ai_description="URL-friendly identifier",
        )
        description = fields.Text(
            nullable=True,
            ai_description="Full product description",
        )

        # Pricing
        price = fields.Decimal(
            precision=10,
            scale=2,
            ai_description="Current price in USD",
        )
        compare_at_price = fields.Decimal(
            precision=10,
            scale=2,
            nullable=True,
            ai_description="Original price for showing discounts",
        )

        # Inventory
        sku = fields.String(
            max_length=50,
            unique=True,
            ai_description="Stock keeping unit",
        )
        quantity = fields.Integer(
            default=0,
            ai_description="Available inventory count",
        )

        # Status
        status = fields.Enum(
            enum_class=ProductStatus,
            default=ProductStatus.DRAFT,
            ai_description="Product visibility status",
        )

        # Relations
        category = fields.ForeignKey(
            "Category",
            on_delete=SET_NULL,
            nullable=True,
            related_name="products",
        )

        # Metadata
        metadata = fields.JSON(
            default=dict,
            ai_description="Additional product attributes",
        )

        # Timestamps
        created_at = fields.DateTime(auto_now_add=True)
        updated_at = fields.DateTime(auto_now=True)

    class Category(Model):
        name = fields.String(max_length=100)

    await spec_tables(Category, Product)
    product = await Product.objects.create(
        name="Kopi Luwak",
        slug="kopi-luwak",
        price=Decimal("24.50"),
        sku="KL-250",
        metadata={"origin": "Sumatra", "weight_g": 250},
    )
    loaded = await Product.objects.get(slug="kopi-luwak")
    assert loaded.pk == product.pk
    assert loaded.price == Decimal("24.50") and loaded.compare_at_price is None
    assert (loaded.quantity, loaded.status) == (0, ProductStatus.DRAFT)
    assert loaded.created_at == product.created_at
    assert await Product.objects.filter(metadata__weight_g__gte=200).count() == 1
    loaded.status = ProductStatus.ACTIVE
    loaded.quantity = 10
    await loaded.save()
    again = await Product.objects.get(pk=product.pk)
    assert (again.status, again.quantity) == (ProductStatus.ACTIVE, 10)
    assert again.updated_at > product.updated_at
    assert Product._meta.get_field("price").describe()["description"] == "Current price in USD"

    shoes = await Category.objects.create(name="Shoes")
    boot = await Product.objects.create(
        name="Boot", slug="boot", price=Decimal("89.90"), sku="B-1", category=shoes
    )
    assert [p.sku for p in await shoes.products.all()] == ["B-1"]
    assert (await Product.objects.get(category__name="Shoes")).id == boot.id
    assert Product._meta.get_field("category").describe()["to"] == "Category"
    await shoes.delete()
    assert (await Product.objects.get(id=boot.id)).category_id is None
