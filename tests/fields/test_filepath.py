"""FilePath: directory scans as choices, and values checked against them."""

import os
import pathlib

import pytest

from aksara import fields
from aksara.exceptions import ConfigurationError
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import TEMPLATES, FcTemplate


def path(*parts):
    return os.path.join(TEMPLATES, *parts)


async def test_column_types(db):
    assert await column_type(FcTemplate, "template") == "character varying(200)"
    assert await column_type(FcTemplate, "top_level") == "character varying(100)"


def test_choices_scan_the_directory():
    template = FcTemplate._meta.get_field("template")
    assert template.choices() == [
        (path("base.html"), "base.html"),
        (path("emails", "old", "legacy.html"), "emails/old/legacy.html"),
        (path("emails", "welcome.html"), "emails/welcome.html"),
    ]
    top_level = FcTemplate._meta.get_field("top_level")
    assert top_level.choices() == [
        (path("base.html"), "base.html"),
        (path("notes.txt"), "notes.txt"),
    ]
    folder = FcTemplate._meta.get_field("folder")
    assert folder.choices() == [(path("emails"), "emails"), (path("emails", "old"), "emails/old")]


def test_choices_also_iterate_like_other_fields_choices():
    field = FcTemplate._meta.get_field("top_level")
    assert list(field.choices) == field.choices()
    assert field.describe()["choices"] == [path("base.html"), path("notes.txt")]


def test_scan_finds_new_files(tmp_path):
    field = fields.FilePath(path=tmp_path, match=r"\.txt$")
    assert field.choices() == []
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.bin").write_text("b")
    assert field.choices() == [(str(tmp_path / "a.txt"), "a.txt")]
    assert fields.FilePath(path=tmp_path / "missing").choices() == []


async def test_round_trip_null_and_filter(db):
    created = await FcTemplate.objects.create(
        template=pathlib.Path(path("emails", "welcome.html")), top_level=path("notes.txt")
    )
    assert created.template == path("emails", "welcome.html")
    loaded = await FcTemplate.objects.get(pk=created.pk)
    assert loaded.template == path("emails", "welcome.html")
    assert loaded.top_level == path("notes.txt")
    assert loaded.folder is None
    await FcTemplate.objects.create(template=path("base.html"), folder=path("emails", "old"))
    assert await FcTemplate.objects.filter(template__endswith="welcome.html").count() == 1
    assert await FcTemplate.objects.filter(folder__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("template", path("notes.txt"), "is not a path under"),
        ("template", path("missing.html"), "is not a path under"),
        ("template", path("emails"), "is not a path under"),
        ("template", path("emails", "..", "base.html"), "is not a path under"),
        ("template", "/etc/passwd", "is not a path under"),
        ("template", "base.html", "is not a path under"),
        ("top_level", path("emails", "welcome.html"), "is not a path under"),
        ("folder", path("base.html"), "is not a path under"),
        ("template", 42, "Expected string"),
    ],
)
async def test_rejected_values_write_nothing(db, field, value, message):
    values = {"template": path("base.html"), field: value}
    await assert_rejected(FcTemplate, field, message, **values)


def test_value_check_agrees_with_the_scan(tmp_path):
    (tmp_path / "sub" / "deep").mkdir(parents=True)
    for name in ("a.html", "b.txt", "sub/c.html", "sub/deep/d.html"):
        (tmp_path / name).write_text("x")
    (tmp_path / "linked").symlink_to(tmp_path / "sub")
    for options in (
        {},
        {"recursive": True},
        {"recursive": True, "match": r"html$"},
        {"allow_files": False, "allow_folders": True},
        {"allow_folders": True, "recursive": True},
    ):
        field = fields.FilePath(path=str(tmp_path), **options)
        listed = {p for p, _ in field.choices()}
        candidates = {
            os.path.join(directory, name)
            for directory, dirs, files in os.walk(tmp_path, followlinks=True)
            for name in dirs + files
        }
        assert {c for c in candidates if field.is_choice(c)} == listed, options


def test_choices_option_and_empty_scan_fail_at_definition():
    with pytest.raises(ConfigurationError, match="directory scan"):
        fields.FilePath(path="/tmp", choices=["/tmp/a"])
    with pytest.raises(ConfigurationError, match="allow_files"):
        fields.FilePath(path="/tmp", allow_files=False)
