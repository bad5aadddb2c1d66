from tests.query.models import Author


async def test_create_and_get(db):
    a = await Author.objects.create(name="Ada", email="ada@example.com", age=36)
    got = await Author.objects.get(id=a.id)
    assert got == a
    assert got.name == "Ada"
    assert got.profile == {}
    assert got.joined.tzinfo is not None
