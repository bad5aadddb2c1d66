"""Bypasses found by attacking the first round of fixes, each now closed.

- ``QuerySet.update(file=name)`` pointed a row at another row's file;
- a primary key that is a relation to a sensitive key was a guessing oracle for agents;
- out-of-range numbers, slices and NaN reached PostgreSQL (HTTP 500);
- an agent's delete reached an unexported model through a many-to-many relation;
- a file shared through another storage object on the same folder was deleted;
- attachment and alternative MIME types carried control characters and parameters;
- ``repr(Database)`` showed a password given as a parameter or with an unencoded ``@``;
- deeply nested JSON escaped as ``RecursionError``; a streamed image upload crashed;
- 404 responses echoed the values looked for.
"""

import decimal
import io

import httpx
import pytest
from PIL import Image

from aksara import Aksara, send_mail
from aksara.ai import AgentToolkit
from aksara.core.mail import EmailMessage, EmailMultiAlternatives
from aksara.db import Database
from aksara.exceptions import MailError, PermissionDenied, QueryError, ValidationError
from aksara.fields import StoredFile
from aksara.query.files import file_referenced
from aksara.storage import FileSystemStorage
from aksara.testing import capture_queries
from tests.security.models import (
    SecApiKey,
    SecArticle,
    SecAsset,
    SecDoc,
    SecKeyProfile,
    SecLabel,
    SecPicture,
)


async def test_update_takes_no_plain_file_name(db, memory_media_storage):
    victim = await SecAsset.objects.create(name="victim", file=("secret.pdf", b"secret"))
    mine = await SecAsset.objects.create(name="mine", file=("m.txt", b"mine"))
    with pytest.raises(ValidationError, match="cannot be set with update"):
        await SecAsset.objects.filter(id=mine.id).update(file=victim.file.name)
    with pytest.raises(ValidationError, match="cannot store an upload"):
        await SecAsset.objects.filter(id=mine.id).update(file=("x.txt", b"x"))
    assert (await SecAsset.objects.get(id=mine.id)).file.name == mine.file.name
    await SecAsset.objects.filter(id=mine.id).update(file=StoredFile(victim.file.name))
    assert (await SecAsset.objects.get(id=mine.id)).file.name == victim.file.name


async def test_a_key_that_relates_to_a_secret_key_is_secret(db):
    key = await SecApiKey.objects.create(key="sk-live-AAAA", label="a")
    await SecKeyProfile.objects.create(key=key, note="owner")
    toolkit = AgentToolkit([SecKeyProfile])
    assert not {"sec_key_profile_get", "sec_key_profile_update"} & set(toolkit.tools)
    with pytest.raises(PermissionDenied):
        await toolkit.call("sec_key_profile_get", {"key": "sk-live-AAAA"})
    listed = await toolkit.call("sec_key_profile_list", {})
    assert "sk-live" not in repr(listed)


@pytest.mark.parametrize(
    "lookups",
    [
        {"rank": 2**15},
        {"rank__gt": 2**40},
        {"rank__in": [1, 2**63]},
        {"score": decimal.Decimal("1e1000")},
        {"score__lt": decimal.Decimal("123456")},
        {"data__contains": float("nan")},
        {"spent__isnull": False, "title__in": ["a"], "data__k": float("inf")},
    ],
    ids=repr,
)
async def test_numbers_no_parameter_can_carry_are_query_errors(db, lookups):
    model = SecDoc if "data__contains" in lookups or "spent__isnull" in lookups else SecArticle
    with capture_queries() as queries, pytest.raises(QueryError):
        await model.objects.filter(**lookups).count()
    assert len(queries) == 0


async def test_slices_past_a_bigint_are_query_errors(db):
    with pytest.raises(QueryError, match="go up to"):
        SecDoc.objects.all()[2**63 : 2**63 + 1]
    with pytest.raises(QueryError):
        SecDoc.objects.all()[2**64]
    with pytest.raises(TypeError):
        SecDoc.objects.all()["1":"2"]


async def test_a_delete_that_changes_an_unexported_many_to_many_is_not_offered(db):
    label = await SecLabel.objects.create(name="x")
    article = await SecArticle.objects.create(title="t")
    await article.labels.add(label)
    toolkit = AgentToolkit([SecLabel])
    assert "sec_label_delete" not in toolkit.tools
    assert "sec_label_delete" in AgentToolkit([SecLabel, SecArticle]).tools


async def test_files_are_found_through_any_storage_on_the_same_place(db, tmp_path):
    root = tmp_path / "media"
    plain = FileSystemStorage(root=str(root))
    with_url = FileSystemStorage(root=str(root), base_url="/media/")
    inner = FileSystemStorage(root=str(root / "files"))
    assert with_url.name_at(plain.location("files/a.txt")) == "files/a.txt"
    assert inner.name_at(plain.location("files/a.txt")) == "a.txt"
    assert inner.name_at(plain.location("other/a.txt")) is None
    assert plain.name_at(inner.location("a.txt")) == "files/a.txt"
    # The check asks every file field whose storage reaches the file.
    assert not await file_referenced(plain, "files/nobody.txt")


async def test_mime_types_carry_no_parameters_or_controls(smtp_server):
    message = EmailMessage("Hi", "Body", "from@example.com", ["to@example.com"])
    for bad in ("application/x\x00\x1b[2J", "text/html;charset=x;name=evil.exe", "text/ html"):
        with pytest.raises(MailError, match="not a MIME type"):
            message.attach("report.bin", b"x", bad)
    alternative = EmailMultiAlternatives("Hi", "Body", "from@example.com", ["to@example.com"])
    with pytest.raises(MailError):
        alternative.attach_alternative("<p>x</p>", "text/html;name=evil.exe")
    with pytest.raises(MailError):
        await send_mail(
            "Hi",
            "Body",
            "from@example.com",
            ["to@example.com"],
            attachments=[("a", b"x", "x\x00/y")],
        )
    assert smtp_server.messages == []


def test_repr_never_shows_a_password():
    for url in (
        "postgresql://app@db/app?password=s3cr3tPW",
        "postgresql://app:p@s3cr3tPW@db/app",
        "postgresql://app:s3cr3tPW@db:5433/app",
    ):
        assert "s3cr3tPW" not in repr(Database(url))


async def test_deeply_nested_json_is_a_validation_error(db):
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValidationError, match="nested too deeply|JSON"):
        await SecDoc.objects.create(title="deep", data=deep)
    with pytest.raises(QueryError):
        await SecDoc.objects.filter(data__contains=deep).count()
    assert await SecDoc.objects.count() == 0


async def test_a_streamed_image_upload_is_spooled_and_checked(db, memory_media_storage):
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2)).save(buffer, "PNG")

    async def stream():
        yield buffer.getvalue()

    picture = await SecPicture.objects.create(title="s", image=("s.bin", stream()))
    assert picture.image.name.endswith(".png")
    assert (picture.image.width, picture.image.height) == (3, 2)


async def test_a_404_names_the_model_not_the_values(db):
    app = Aksara()

    @app.get("/docs/{title}")
    async def read(title: str) -> dict[str, str]:
        await SecDoc.objects.get(title=title, data__has_key="owner-42")
        return {}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/docs/x")
    assert response.status_code == 404
    assert response.json() == {"detail": "SecDoc not found"}
