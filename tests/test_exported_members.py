"""The public surface: ``aksara.__all__`` is sorted and names exactly what the package exports."""

import subprocess
import sys
import types

import aksara


def test_all_is_sorted_and_complete():
    assert aksara.__all__ == sorted(aksara.__all__)
    public = {
        name
        for name in dir(aksara)
        if not name.startswith("_")
        and (not isinstance(getattr(aksara, name), types.ModuleType) or name == "fields")
    }
    assert set(aksara.__all__) == public


def test_fastapi_is_imported_on_first_use():
    """``import aksara`` leaves FastAPI out until an application asks for its names."""
    code = (
        "import sys, aksara\n"
        "assert 'fastapi' not in sys.modules, 'fastapi imported'\n"
        "from aksara import Aksara, UploadFile\n"
        "from aksara.contrib.fastapi import Aksara as A2\n"
        "assert Aksara is A2 and 'fastapi' in sys.modules\n"
        "try:\n"
        "    aksara.Nothing\n"
        "except AttributeError as e:\n"
        "    assert 'Nothing' in str(e)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fsspec_is_imported_with_the_first_storage():
    """``import aksara`` leaves fsspec out (about 20 ms of its import) until a storage is
    made."""
    code = (
        "import sys, tempfile, aksara\n"
        "from aksara.storage import FileSystemStorage, MemoryStorage\n"
        "assert 'fsspec' not in sys.modules, 'fsspec imported'\n"
        "MemoryStorage()\n"
        "assert 'fsspec' in sys.modules\n"
        "FileSystemStorage(root=tempfile.gettempdir())\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


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


def test_missing_extras_are_named():
    """Without the ``fastapi`` or ``images`` extra, the error says what to install; the rest
    of aksara works without them."""
    code = (
        "import sys\n"
        "sys.modules['fastapi'] = None\n"
        "sys.modules['PIL'] = None\n"
        "import aksara\n"
        "from aksara import Model, fields\n"
        "from aksara.exceptions import ConfigurationError\n"
        "class Plain(Model):\n"
        "    title = fields.String(max_length=20)\n"
        "    file = fields.FileField(nullable=True)\n"
        "try:\n"
        "    fields.ImageField()\n"
        "except ConfigurationError as e:\n"
        "    assert 'aksara-orm[images]' in str(e), e\n"
        "else:\n"
        "    raise AssertionError('ImageField without Pillow')\n"
        "try:\n"
        "    from aksara import Aksara\n"
        "except ImportError as e:\n"
        "    assert 'aksara-orm[fastapi]' in str(e), e\n"
        "else:\n"
        "    raise AssertionError('Aksara without FastAPI')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
