"""Every example of the fields reference (spec/fields.md), run as written.

The reference declares ``User``, ``Article`` and ``Document`` more than once, so each
example's models are declared inside its test, with the reference's names, and their
tables are created inside the test's transaction (``local_models``). Media and relation
fields are the subject of their own tests; the complete ``Product`` example runs here
without its ``category`` ForeignKey.
"""

from datetime import time, timedelta
from decimal import Decimal
from enum import Enum

import pytest

from aksara import Model, fields
from aksara.exceptions import ValidationError
from tests.fields.conftest import column_type

# The examples keep the reference's own layout.
# fmt: off


async def test_common_field_options(local_models):
    class User(Model):
        email = fields.Email(
            unique=True,
            nullable=False,
            ai_description="User's login email address",
            ai_sensitive=False,
        )

    await local_models(User)
    user = await User.objects.create(email="ada@example.com")
    assert (await User.objects.get(pk=user.pk)).email == "ada@example.com"
    field = User._meta.get_field("email")
    assert field.ai_description == "User's login email address"
    assert (field.ai_sensitive, field.ai_agent_writable, field.unique) == (False, True, True)
    assert await column_type(User, "email") == "character varying(254)"


async def test_string_examples(local_models):
    class SpecStrings(Model):
        name = fields.String(max_length=100)
        code = fields.String(max_length=10, unique=True)
        nickname = fields.String(max_length=50, nullable=True)

        # With validation parameters
        severity = fields.String(
            max_length=20,
            choices=["low", "medium", "high", "critical"],
            default="medium",
            ai_description="Impact level for triage priority",
        )
        password = fields.String(max_length=128, min_length=8)
        phone = fields.String(max_length=20, regex=r"^\+?[\d\s\-]{7,15}$")
        clean_name = fields.String(max_length=100, strip_whitespace=True)

    await local_models(SpecStrings)
    item = await SpecStrings.objects.create(
        name="Ada", code="A1", password="s3cret-pass", phone="+62 812 3456", clean_name=" Ada "
    )
    loaded = await SpecStrings.objects.get(pk=item.pk)
    assert (loaded.severity, loaded.nickname, loaded.clean_name) == ("medium", None, "Ada")
    assert await column_type(SpecStrings, "name") == "character varying(100)"
    with pytest.raises(ValidationError):
        await SpecStrings.objects.create(
            name="B", code="B1", password="short", phone="+62 812 3456", clean_name="B"
        )


async def test_text_email_url_examples(local_models):
    class SpecTexts(Model):
        content = fields.Text()
        description = fields.Text(nullable=True)
        notes = fields.Text(default="")
        bio = fields.Text(min_length=20, strip_whitespace=True)

        email = fields.Email(unique=True)
        contact_email = fields.Email(nullable=True)

        website = fields.URL(nullable=True)
        avatar_url = fields.URL()

    await local_models(SpecTexts)
    item = await SpecTexts.objects.create(
        content="Long article",
        bio="  A biography of at least twenty characters.  ",
        email="ada@example.com",
        avatar_url="https://cdn.example.com/ada.png",
    )
    loaded = await SpecTexts.objects.get(pk=item.pk)
    assert loaded.notes == "" and loaded.description is None and loaded.website is None
    assert loaded.bio == "A biography of at least twenty characters."
    assert await column_type(SpecTexts, "avatar_url") == "text"


async def test_numeric_examples(local_models):
    class SpecIntegers(Model):
        age = fields.Integer()
        quantity = fields.Integer(default=0)
        position = fields.Integer(nullable=True)

        # With validation parameters
        rating = fields.Integer(min_value=1, max_value=5)
        priority = fields.Integer(choices=[1, 2, 3, 4, 5], default=3)

    class SpecBigSmall(Model):
        view_count = fields.BigInteger(default=0)
        file_size = fields.BigInteger()
        priority = fields.SmallInteger(default=0)
        day_of_week = fields.SmallInteger(choices=[0, 1, 2, 3, 4, 5, 6])

    class SpecPositive(Model):
        view_count = fields.PositiveInteger(default=0)  # INTEGER, >= 0
        retry_count = fields.PositiveSmallInteger(default=0)  # SMALLINT, 0..32767
        big_counter = fields.PositiveBigInteger(default=0)  # BIGINT, >= 0

    class SpecDecimals(Model):
        rating = fields.Float()
        latitude = fields.Float()
        longitude = fields.Float()

        price = fields.Decimal(precision=10, scale=2)
        tax_rate = fields.Decimal(precision=5, scale=4)
        percentage = fields.Decimal(precision=5, scale=2, min_value=0, max_value=100)

    await local_models(SpecIntegers, SpecBigSmall, SpecPositive, SpecDecimals)
    ints = await SpecIntegers.objects.create(age=36, rating=5)
    assert (ints.quantity, ints.position, ints.priority) == (0, None, 3)
    big = await SpecBigSmall.objects.create(file_size=5 * 2**40, day_of_week=6)
    assert (await SpecBigSmall.objects.get(pk=big.pk)).file_size == 5 * 2**40
    positive = await SpecPositive.objects.create()
    assert (positive.view_count, positive.retry_count, positive.big_counter) == (0, 0, 0)
    with pytest.raises(ValidationError):
        await SpecPositive.objects.create(retry_count=-1)
    money = await SpecDecimals.objects.create(
        rating=4.5, latitude=-6.2, longitude=106.8, price="12345678.90", tax_rate="0.1100",
        percentage=Decimal("12.5"),
    )
    loaded = await SpecDecimals.objects.get(pk=money.pk)
    assert loaded.price == Decimal("12345678.90") and loaded.percentage == Decimal("12.50")
    for valid in ("12345678.90", "0.01", "-999.99"):
        SpecDecimals._meta.get_field("price").clean(valid)
    with pytest.raises(ValidationError):
        SpecDecimals._meta.get_field("price").clean("123456789.00")
    assert await column_type(SpecDecimals, "price") == "numeric(10,2)"
    assert await column_type(SpecPositive, "retry_count") == "smallint"


async def test_boolean_and_date_time_examples(local_models):
    class SpecFlags(Model):
        is_active = fields.Boolean(default=True)
        is_verified = fields.Boolean(default=False)
        newsletter_opted_in = fields.Boolean(nullable=True)  # True, False, or unknown

        created_at = fields.DateTime(auto_now_add=True)
        updated_at = fields.DateTime(auto_now=True)
        scheduled_at = fields.DateTime(nullable=True)

        birth_date = fields.Date()
        expiry_date = fields.Date(nullable=True)

        start_time = fields.Time()
        reminder_at = fields.Time(nullable=True)

        cooking_time = fields.Duration()
        timeout = fields.Duration(nullable=True)

    await local_models(SpecFlags)
    item = await SpecFlags.objects.create(
        birth_date="1990-05-17", start_time="09:00", cooking_time=timedelta(minutes=45)
    )
    loaded = await SpecFlags.objects.get(pk=item.pk)
    assert (loaded.is_active, loaded.is_verified, loaded.newsletter_opted_in) == (True, False, None)
    assert loaded.created_at.tzinfo is not None and loaded.scheduled_at is None
    assert loaded.start_time == time(9) and loaded.cooking_time == timedelta(minutes=45)


async def test_time_example(local_models):
    class Schedule(Model):
        alarm = fields.Time()

    await local_models(Schedule)
    schedule = await Schedule.objects.create(alarm=time(7, 30, 0))
    # Also accepts: alarm="07:30:00" or alarm="07:30:00.123456"
    also = await Schedule.objects.create(alarm="07:30:00")
    precise = await Schedule.objects.create(alarm="07:30:00.123456")
    assert schedule.alarm == also.alarm == time(7, 30)
    assert (await Schedule.objects.get(pk=precise.pk)).alarm == time(7, 30, 0, 123456)
    assert await column_type(Schedule, "alarm") == "time without time zone"


async def test_duration_example(local_models):
    class Recipe(Model):
        prep_time = fields.Duration()

    await local_models(Recipe)
    recipe = await Recipe.objects.create(prep_time=timedelta(minutes=30))
    # Also accepts: prep_time=1800 (seconds)
    also = await Recipe.objects.create(prep_time=1800)
    assert recipe.prep_time == also.prep_time == timedelta(minutes=30)
    assert (await Recipe.objects.get(pk=also.pk)).prep_time == timedelta(minutes=30)
    assert await column_type(Recipe, "prep_time") == "interval"


async def test_uuid_and_json_declarations(local_models):
    class SpecSpecial(Model):
        external_id = fields.UUID()
        reference = fields.UUID(unique=True)

        metadata = fields.JSON(default=dict)
        settings = fields.JSON(default=list)
        config = fields.JSON(nullable=True)

    await local_models(SpecSpecial)
    import uuid

    item = await SpecSpecial.objects.create(external_id=uuid.uuid4(), reference=uuid.uuid4())
    loaded = await SpecSpecial.objects.get(pk=item.pk)
    assert (loaded.metadata, loaded.settings, loaded.config) == ({}, [], None)
    assert isinstance(loaded.id, uuid.UUID)  # the automatic primary key
    assert await column_type(SpecSpecial, "id") == "uuid"


async def test_json_example(local_models):
    class User(Model):
        preferences = fields.JSON(default=dict)

    await local_models(User)
    user = await User.objects.create(
        preferences={"theme": "dark", "notifications": True}
    )
    await User.objects.create(preferences={"theme": "light"})

    dark_mode_users = await User.objects.filter(
        preferences__theme="dark",
    )
    assert [u.pk for u in dark_mode_users] == [user.pk]
    assert await column_type(User, "preferences") == "jsonb"


async def test_vector_example(local_models):
    # The reference pairs dimensions=384 with a 3-value vector; 3 makes it runnable.
    class Document(Model):
        title = fields.String(max_length=200)
        embedding = fields.Vector(dimensions=3)

    await local_models(Document)
    document = await Document.objects.create(
        title="Intro",
        embedding=[0.12, 0.33, 0.98],
    )

    assert document.embedding == [0.12, 0.33, 0.98]
    assert (await Document.objects.get(pk=document.pk)).embedding == [0.12, 0.33, 0.98]
    assert await column_type(Document, "embedding") == "vector(3)"

    class SpecDocument384(Model):
        title = fields.String(max_length=200)
        embedding = fields.Vector(dimensions=384)

    await local_models(SpecDocument384)
    assert await column_type(SpecDocument384, "embedding") == "vector(384)"
    with pytest.raises(ValidationError, match="Expected 384 dimensions, got 3"):
        await SpecDocument384.objects.create(title="Intro", embedding=[0.12, 0.33, 0.98])


async def test_enum_example(local_models):
    class Status(str, Enum):  # noqa: UP042 - as the reference writes it
        DRAFT = "draft"
        PUBLISHED = "published"
        ARCHIVED = "archived"

    class Article(Model):
        status = fields.Enum(enum_class=Status, default=Status.DRAFT)

    await local_models(Article)
    article = await Article.objects.create()
    published = await Article.objects.create(status="published")
    assert article.status is Status.DRAFT and published.status is Status.PUBLISHED
    assert (await Article.objects.get(pk=published.pk)).status is Status.PUBLISHED
    assert await column_type(Article, "status") == "character varying"


async def test_array_example(local_models, capsys):
    class SpecArrays(Model):
        tags = fields.Array(base_type="text", default=list)
        scores = fields.Array(base_type="integer", nullable=True)
        ratings = fields.Array(base_type="float")

    class Article(Model):
        tags = fields.Array(base_type="text", default=list)
        view_counts = fields.Array(base_type="integer", default=list)

    await local_models(SpecArrays, Article)
    arrays = await SpecArrays.objects.create(ratings=[4.5, 3.0])
    assert (arrays.tags, arrays.scores) == ([], None)
    assert await column_type(SpecArrays, "ratings") == "double precision[]"

    article = await Article.objects.create(
        tags=["python", "async", "orm"],
        view_counts=[100, 250, 180],
    )

    # Access as Python lists
    print(article.tags)  # ['python', 'async', 'orm']
    article.tags.append("database")
    await article.save()

    assert capsys.readouterr().out == "['python', 'async', 'orm']\n"
    loaded = await Article.objects.get(pk=article.pk)
    assert loaded.tags == ["python", "async", "orm", "database"]
    assert loaded.view_counts == [100, 250, 180]


async def test_slug_examples(local_models):
    class SpecSlugs(Model):
        slug = fields.Slug(max_length=100, unique=True)

    class SpecAutoSlugs(Model):
        title = fields.String(max_length=200)
        # Auto-generate from another field
        slug = fields.Slug(max_length=200, auto_from="title", unique=True)

    class Article(Model):
        title = fields.String(max_length=200)
        slug = fields.Slug(max_length=200, auto_from="title", unique=True)

    await local_models(SpecSlugs, SpecAutoSlugs, Article)
    assert (await SpecSlugs.objects.create(slug="hello-world")).slug == "hello-world"
    with pytest.raises(ValidationError):
        await SpecSlugs.objects.create(slug="héllo-wörld")
    assert (await SpecAutoSlugs.objects.create(title="A Title")).slug == "a-title"

    # When slug is empty/None on save, it's auto-generated from title:
    article = await Article.objects.create(title="Hello World Article")
    assert article.slug == "hello-world-article"
    # Existing slug values are preserved (no overwrite on update)
    article.title = "A New Title"
    await article.save()
    assert (await Article.objects.get(pk=article.pk)).slug == "hello-world-article"
    assert await column_type(Article, "slug") == "character varying(200)"


async def test_ip_binary_filepath_examples(local_models):
    class SpecNetwork(Model):
        server_ip = fields.IPAddress()
        client_ip = fields.IPAddress(protocol="ipv4")
        gateway = fields.IPAddress(protocol="ipv6")

        file_hash = fields.Binary()
        encryption_key = fields.Binary(nullable=True)

        template = fields.FilePath(
            path="/app/templates",
            match=r".*\.html$",
            recursive=True,
            max_length=200,
            nullable=True,
        )

    await local_models(SpecNetwork)
    item = await SpecNetwork.objects.create(
        server_ip="2001:db8::1", client_ip="192.0.2.1", gateway="fe80::1", file_hash=b"\x01\x02"
    )
    loaded = await SpecNetwork.objects.get(pk=item.pk)
    assert (loaded.server_ip, loaded.client_ip, loaded.gateway) == ("2001:db8::1", "192.0.2.1", "fe80::1")
    assert loaded.file_hash == b"\x01\x02" and loaded.encryption_key is None
    assert await column_type(SpecNetwork, "server_ip") == "inet"
    assert await column_type(SpecNetwork, "file_hash") == "bytea"
    assert await column_type(SpecNetwork, "template") == "character varying(200)"
    assert SpecNetwork._meta.get_field("template").choices() == []  # no /app/templates here
    key = SpecNetwork._meta.get_field("encryption_key")
    assert (key.ai_sensitive, key.ai_agent_writable) == (True, False)


async def test_ai_metadata_examples(local_models):
    class User(Model):
        email = fields.Email(
            unique=True,
            ai_description="User's email address for login and notifications",
            ai_sensitive=False,
            ai_agent_writable=True,
        )

        hashed_password = fields.String(
            ai_description="Bcrypt-hashed password (never expose raw)",
            ai_sensitive=True,       # Hidden from AI context exports
            ai_agent_writable=False, # AI cannot modify this field
        )

        role = fields.String(
            max_length=20,
            default="user",
            ai_description="User role: 'user', 'admin', or 'moderator'",
            ai_agent_writable=True,  # AI can change roles
        )

    class Customer(Model):
        email = fields.Email(
            ai_description="Primary contact email for the customer"
        )
        stripe_customer_id = fields.String(
            ai_sensitive=True,
            ai_description="Internal billing identifier"
        )
        lifetime_value = fields.Decimal(
            precision=10,
            scale=2,
            ai_description="Computed revenue total in USD",
            ai_agent_writable=False,
        )

    await local_models(User, Customer)
    user = await User.objects.create(email="ada@example.com", hashed_password="$2b$12$...")
    assert user.role == "user"
    password = User._meta.get_field("hashed_password")
    assert (password.ai_sensitive, password.ai_agent_writable) == (True, False)
    customer = await Customer.objects.create(
        email="c@example.com", stripe_customer_id="cus_123", lifetime_value="1999.00"
    )
    assert (await Customer.objects.get(pk=customer.pk)).lifetime_value == Decimal("1999.00")
    assert Customer._meta.get_field("lifetime_value").ai_agent_writable is False


async def test_field_validation_example(local_models, capsys):
    class User(Model):
        email = fields.Email()
        age = fields.Integer()

    await local_models(User)

    # Invalid email format
    try:
        user = User(email="not-an-email", age=25)
        await user.save()
    except ValidationError as e:
        print(e)  # "Invalid email format"

    # Invalid integer
    try:
        user = User(email="test@example.com", age="twenty")
        await user.save()
    except ValidationError as e:
        print(e)  # "Expected integer"

    first, second = capsys.readouterr().out.splitlines()
    assert "Invalid email format" in first
    assert "Expected integer" in second
    assert await User.objects.count() == 0


async def test_best_practice_examples(local_models):
    class SpecGood(Model):
        # Good
        price = fields.Decimal(precision=10, scale=2)  # Exact for money
        rating = fields.Float()  # Approximate is fine for ratings
        is_active = fields.Boolean(default=True)
        view_count = fields.Integer(default=0)
        email = fields.Email(
            ai_description="Primary contact email for the user"
        )
        # Secure
        password_hash = fields.String(ai_sensitive=True, ai_agent_writable=False)
        ssn = fields.String(ai_sensitive=True)
        api_key = fields.String(ai_sensitive=True)

    class SpecAvoid(Model):
        # Avoid
        price = fields.Float()  # Precision issues with money
        status = fields.String()  # No default, must always specify
        email = fields.Email()  # What email? For what purpose?

    await local_models(SpecGood, SpecAvoid)
    good = await SpecGood.objects.create(
        price="9.99", rating=4.5, email="a@example.com", password_hash="x", ssn="y", api_key="z"
    )
    assert (good.is_active, good.view_count) == (True, 0)
    with pytest.raises(ValidationError, match="status: This field cannot be null"):
        await SpecAvoid.objects.create(price=9.99, email="a@example.com")
    assert await column_type(SpecAvoid, "status") == "character varying(255)"
