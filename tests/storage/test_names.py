"""Name helpers: safe keys, upload names, upload_to folders and collision suffixes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from aksara.exceptions import SuspiciousFileOperation
from aksara.storage import generate_filename, get_valid_name, validate_name
from aksara.storage._names import fit_name, get_alternative_name, split_extension


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("My Report (final).PDF", "My_Report_final.PDF"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\photo.JPG", "photo.JPG"),
        ("/var/www/index.html", "index.html"),
        (".htaccess", "htaccess"),
        ("--rf.sh", "rf.sh"),
        ("laporan keuangan ü.xlsx", "laporan_keuangan_ü.xlsx"),
        ("ｆｕｌｌｗｉｄｔｈ.txt", "fullwidth.txt"),
        ("a<b>c|d?e*.txt", "abcde.txt"),
        ("😀.png", "file.png"),
        ("archive.tar.gz", "archive.tar.gz"),
        ("  spaced  out  .txt ", "spaced_out_.txt"),
    ],
)
def test_get_valid_name_keeps_the_extension_and_safe_characters(
    filename: str, expected: str
) -> None:
    assert get_valid_name(filename) == expected


@pytest.mark.parametrize("filename", ["", "   ", "..", "...", "dir/", "😀", "-"])
def test_get_valid_name_refuses_names_with_nothing_left(filename: str) -> None:
    with pytest.raises(SuspiciousFileOperation, match="could not derive a file name"):
        get_valid_name(filename)


def test_get_valid_name_refuses_nul_bytes() -> None:
    with pytest.raises(SuspiciousFileOperation, match="NUL byte"):
        get_valid_name("photo.php\x00.jpg")


def test_get_valid_name_caps_long_names_and_keeps_the_extension() -> None:
    name = get_valid_name("é" * 300 + ".jpeg")
    assert name.endswith(".jpeg")
    assert len(name.encode()) <= 200


def test_validate_name_accepts_relative_keys() -> None:
    assert validate_name("assets/2024/report final.pdf") == "assets/2024/report final.pdf"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "cannot be empty"),
        ("../x", "leaves the storage root"),
        ("a/../../x", "leaves the storage root"),
        ("/abs", "is absolute"),
        ("a\x00", "NUL byte"),
        ("a\nb", "control character"),
        ("a\\b", "backslash"),
        ("a//b", "empty or '.'"),
        ("./a", "empty or '.'"),
        ("a/", "empty or '.'"),
    ],
)
def test_validate_name_rejects_unsafe_keys(name: str, message: str) -> None:
    with pytest.raises(SuspiciousFileOperation, match=message):
        validate_name(name)


def test_validate_name_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        validate_name(b"bytes.txt")  # type: ignore[arg-type]


def test_generate_filename_puts_the_valid_name_in_the_folder() -> None:
    assert generate_filename("assets", "Q1 report.pdf") == "assets/Q1_report.pdf"
    assert generate_filename("assets/", "../q1.pdf") == "assets/q1.pdf"
    assert generate_filename("", "q1.pdf") == "q1.pdf"


def test_generate_filename_expands_strftime_patterns() -> None:
    now = datetime(2024, 3, 9, 12, 0)
    assert generate_filename("uploads/%Y/%m", "a.png", now=now) == "uploads/2024/03/a.png"


def test_generate_filename_calls_a_callable_with_the_instance() -> None:
    class Owner:
        id = 42

    def upload_to(instance: Any, filename: str) -> str:
        return f"users/{instance.id}/avatar {filename}"

    assert generate_filename(upload_to, "me.png", Owner()) == "users/42/avatar_me.png"


@pytest.mark.parametrize("upload_to", ["../outside", "/abs/folder", "a/../../b"])
def test_generate_filename_rejects_folders_that_leave_the_root(upload_to: str) -> None:
    with pytest.raises(SuspiciousFileOperation):
        generate_filename(upload_to, "a.png")
    with pytest.raises(SuspiciousFileOperation):
        generate_filename(lambda instance, filename: f"{upload_to}/{filename}", "a.png")


def test_generate_filename_requires_the_callable_to_return_a_string() -> None:
    with pytest.raises(TypeError, match="must return a str"):
        generate_filename(lambda instance, filename: None, "a.png")  # type: ignore[arg-type,return-value]


def test_alternative_names_add_a_random_suffix_before_the_extension() -> None:
    names = {get_alternative_name("docs/report.tar.gz") for _ in range(20)}
    assert len(names) == 20
    assert all(re.fullmatch(r"docs/report_[a-z0-9]{7}\.tar\.gz", n) for n in names)


def test_alternative_names_respect_max_length_by_cutting_the_stem() -> None:
    name = get_alternative_name("d/" + "x" * 30 + ".txt", max_length=20)
    assert re.fullmatch(r"d/x{6}_[a-z0-9]{7}\.txt", name)


def test_fit_name_and_split_extension() -> None:
    assert fit_name("a/" + "x" * 10 + ".txt", 10) == "a/xxxx.txt"
    assert fit_name("short.txt", None) == "short.txt"
    assert split_extension("a.b.pdf") == ("a.b", ".pdf")
    assert split_extension("noext") == ("noext", "")
