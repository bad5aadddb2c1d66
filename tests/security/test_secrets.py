"""The database password never shows: not in settings' representations, not in errors.

Issue item 10: ``Settings.database_url`` was a plain ``str`` (``repr(settings)`` and
``model_dump_json()`` held the password) and a malformed URL was echoed by the error.
"""

import pytest

import aksara
from aksara.conf import Settings, configure, get_settings
from aksara.db import Database
from aksara.exceptions import ConfigurationError

SECRET = "s3cr3t-pa55"


def test_settings_keep_the_url_secret_in_every_representation():
    settings = Settings(database_url=f"postgresql://app:{SECRET}@db.internal/app")
    for text in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        repr(settings.model_dump()),
    ):
        assert SECRET not in text
    assert settings.database_url_value() == f"postgresql://app:{SECRET}@db.internal/app"
    previous = get_settings()
    try:
        configure(database_url=f"postgres://app:{SECRET}@db/app")
        assert SECRET not in repr(aksara.settings)
        assert SECRET in (get_settings().database_url_value() or "")
    finally:
        configure(previous)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{SECRET}@db:notaport/app",
        f"postgresql://app:{SECRET}@db:99999/app",
        f"app:{SECRET}@db/app",
        f"postgresql//app:{SECRET}@db/app",
        f"mysql://app:{SECRET}@db/app",
    ],
)
def test_a_bad_url_is_refused_without_echoing_it(url):
    with pytest.raises(ConfigurationError) as info:
        Database(url)
    assert SECRET not in str(info.value) and "app:" not in str(info.value)


async def test_connection_errors_do_not_show_the_password():
    database = Database(f"postgresql://app:{SECRET}@127.0.0.1:1/app", pool_timeout=1)
    try:
        assert SECRET not in repr(database)
        with pytest.raises(aksara.exceptions.DatabaseError) as info:
            await database.fetchval("SELECT 1")
        assert SECRET not in str(info.value)
    finally:
        await database.close()
