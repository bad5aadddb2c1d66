"""The settings reference lists every setting, with its default."""

import re

from aksara.conf import Settings
from tests.docs.pages import DOCS

PAGE = DOCS / "reference" / "settings.md"


def test_every_setting_is_documented_with_its_default():
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*?) \|", PAGE.read_text(encoding="utf-8"), re.M))
    assert set(rows) == set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        default = field.default
        value = default.get_secret_value() if hasattr(default, "get_secret_value") else default
        shown = rows[name].strip("`")
        assert shown == (f'"{value}"' if value == "" else str(value)) or (
            value == "" and shown == '""'
        ), name
