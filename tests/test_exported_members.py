"""The public surface: ``aksara.__all__`` is sorted and names exactly what the package exports."""

import types

import aksara


def test_all_is_sorted_and_complete():
    assert aksara.__all__ == sorted(aksara.__all__)
    public = {
        name
        for name, value in vars(aksara).items()
        if not name.startswith("_") and (not isinstance(value, types.ModuleType) or name == "fields")
    }
    assert set(aksara.__all__) == public


def test_spec_imports():
    from aksara import (  # noqa: F401
        CASCADE,
        PROTECT,
        RESTRICT,
        SET_NULL,
        Aksara,
        Model,
        UploadFile,
        fields,
        send_mail,
    )
    from aksara.conf import Settings, configure  # noqa: F401
    from aksara.core.mail import outbox, reset_outbox  # noqa: F401
    from aksara.exceptions import ValidationError  # noqa: F401
