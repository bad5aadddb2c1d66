"""``aksara.connect()`` finds out at once whether the database is there."""

import pytest

import aksara
from aksara.db import get_database, set_database
from aksara.exceptions import DatabaseConnectionError


async def test_connecting_to_no_server_fails_in_connect_and_keeps_the_previous_database(db):
    before = get_database()
    with pytest.raises(DatabaseConnectionError):
        await aksara.connect("postgresql://app:secret@127.0.0.1:1/app", pool_timeout=2)
    assert get_database() is before


async def test_verify_false_connects_lazily(db):
    before = get_database()
    set_database(None)  # connect() closes the database connected before: not the test's
    try:
        database = await aksara.connect("postgresql://app@127.0.0.1:1/app", verify=False)
        assert get_database() is database
        with pytest.raises(DatabaseConnectionError):
            await database.fetchval("SELECT 1")
        await database.close()
    finally:
        set_database(before)
