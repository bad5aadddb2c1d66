"""Faults of the real services aksara depends on: killed backends, an exhausted pool,
an unreachable S3 endpoint and a stopped SMTP server.

Each test checks that the failure surfaces as a clear aksara error, that nothing
half-written remains, and that aksara recovers without being restarted.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import pytest_asyncio

import aksara
from aksara import Model, conf, fields, send_mail
from aksara.contrib.fastapi import Aksara
from aksara.core.mail import deferred_mail, discard_deferred, retry_deferred
from aksara.db import Database, set_database
from aksara.exceptions import (
    DatabaseConnectionError,
    DatabaseError,
    MailError,
    PoolTimeoutError,
    StorageError,
)
from aksara.storage import get_storage
from aksara.testing.mail import SMTPTestServer, free_port


class FaultNote(Model):
    title = fields.String(max_length=100)


class FaultUpload(Model):
    title = fields.String(max_length=100)
    file = fields.FileField(upload_to="faults")


def driver_url(database: Database) -> str:
    """The database's URL as asyncpg takes it (no ``+asyncpg`` driver suffix)."""
    url = database.engine.url.render_as_string(hide_password=False)
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture(autouse=True)
def _restore_settings() -> Iterator[None]:
    previous = conf.get_settings()
    yield
    conf.configure(previous)
    discard_deferred()


@pytest_asyncio.fixture(loop_scope="session")
async def small_pool(transactional_db: Database) -> AsyncIterator[Database]:
    """A one-connection pool (no overflow, 0.5 s wait) as the process database, restored after."""
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    set_database(database)
    try:
        yield database
    finally:
        set_database(transactional_db)
        await database.close()


@pytest_asyncio.fixture(loop_scope="session")
async def admin(transactional_db: Database) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own, outside aksara's pool, to kill aksara's backends from."""
    conn = await asyncpg.connect(driver_url(transactional_db))
    try:
        yield conn
    finally:
        await conn.close()


async def terminate(admin: asyncpg.Connection, pid: int) -> None:
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    # The backend is gone once the server no longer lists it.
    for _ in range(100):
        if not await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.01)


# -- PostgreSQL backends killed --------------------------------------------------------------


async def test_pooled_connection_killed_while_idle_is_replaced_at_checkout(small_pool, admin):
    pid = await small_pool.fetchval("SELECT pg_backend_pid()")
    await terminate(admin, pid)
    # The server's goodbye is in the socket once the backend is gone; the client reads it
    # on its next turns of the event loop. (A request that checks the connection out before
    # then fails with DatabaseConnectionError, as one whose backend is killed mid-statement.)
    await asyncio.sleep(0.05)

    # The server closed it while it sat in the pool: checkout sees that (no round trip)
    # and opens a new one, so no request fails on it.
    await FaultNote.objects.create(title="after the fault")
    assert await FaultNote.objects.count() == 1
    assert await small_pool.fetchval("SELECT pg_backend_pid()") != pid
    assert small_pool.pool_status().checked_out == 0


async def test_statement_in_flight_when_its_backend_is_killed_raises_connection_error(
    small_pool, admin
):
    running = asyncio.ensure_future(small_pool.execute("SELECT pg_sleep(30)"))
    for _ in range(200):
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'"
        )
        if pid is not None:
            break
        await asyncio.sleep(0.01)
    assert pid is not None
    await terminate(admin, pid)

    # It fails as soon as the connection is gone, not when pg_sleep(30) would have ended.
    with pytest.raises(DatabaseConnectionError, match="connection"):
        await asyncio.wait_for(running, 10)
    assert await small_pool.fetchval("SELECT 1") == 1


async def test_transaction_whose_backend_is_killed_raises_connection_error_and_writes_nothing(
    small_pool, admin
):
    with pytest.raises(DatabaseError) as info:
        async with aksara.transaction():
            await FaultNote.objects.create(title="half written")
            pid = await small_pool.fetchval("SELECT pg_backend_pid()")
            await terminate(admin, pid)
            await FaultNote.objects.create(title="never written")
    assert isinstance(info.value, DatabaseConnectionError)

    assert await FaultNote.objects.count() == 0
    await FaultNote.objects.create(title="after the fault")
    assert await FaultNote.objects.count() == 1


async def test_savepoint_whose_release_fails_deletes_its_uploaded_file(small_pool, admin):
    conf.configure(media_storage="memory")
    storage = get_storage()
    with pytest.raises(DatabaseConnectionError):
        async with aksara.transaction():
            async with aksara.transaction():  # a savepoint: its RELEASE meets a dead backend
                upload = await FaultUpload.objects.create(title="lost", file=("l.txt", b"l"))
                assert await storage.exists(upload.file.name)
                await terminate(admin, await small_pool.fetchval("SELECT pg_backend_pid()"))
    # Nothing was committed, so the file the savepoint wrote must be gone too.
    assert not await storage.exists(upload.file.name)
    assert await FaultUpload.objects.count() == 0


async def test_connection_the_server_refuses_raises_connection_error(transactional_db):
    # The server refuses the connection after the socket opened: the same path as "the
    # database system is shutting down" (57P03) while PostgreSQL restarts.
    url = transactional_db.engine.url.set(database="aksara_no_such_database")
    database = Database(url.render_as_string(hide_password=False), pool_size=1)
    try:
        with pytest.raises(DatabaseConnectionError, match="does not exist"):
            await database.fetchval("SELECT 1")
    finally:
        await database.close()


# -- pool exhaustion ---------------------------------------------------------------------------


async def test_exhausted_pool_raises_pool_timeout_error_after_the_pool_timeout(small_pool):
    holding = asyncio.Event()
    done = asyncio.Event()

    async def hold_the_only_connection() -> None:
        async with aksara.transaction():
            await FaultNote.objects.create(title="held")
            holding.set()
            await done.wait()

    holder = asyncio.ensure_future(hold_the_only_connection())
    await holding.wait()
    started = time.monotonic()
    try:
        with pytest.raises(PoolTimeoutError, match="pool timeout"):
            await FaultNote.objects.count()
        waited = time.monotonic() - started
    finally:
        done.set()
        await holder
    assert 0.4 < waited < 10  # the pool timeout (0.5 s), not a hang

    # Once the connection is back, statements run again.
    assert await FaultNote.objects.count() == 1


async def test_waiting_checkout_gets_the_connection_released_before_the_timeout(small_pool):
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with aksara.transaction():
            await FaultNote.objects.create(title="held")
            holding.set()
            await release.wait()

    holder = asyncio.ensure_future(hold())
    await holding.wait()
    waiter = asyncio.ensure_future(FaultNote.objects.count())
    await asyncio.sleep(0.05)  # let it queue for the connection (the pool timeout is 0.5 s)
    assert not waiter.done()
    release.set()
    assert await waiter == 1  # it got the holder's connection instead of PoolTimeoutError
    await holder
    assert small_pool.pool_status().checked_out == 0


async def test_overflow_connections_are_closed_when_released(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=2, pool_timeout=2)
    try:
        pids = await asyncio.gather(
            *(database.fetchval("SELECT pg_backend_pid() FROM pg_sleep(0.1)") for _ in range(3))
        )
        assert len(set(pids)) == 3
        for _ in range(500):  # overflow check-ins close their connection in the background
            if database.pool_status().overflow <= 0:
                break
            await asyncio.sleep(0.01)
        status = database.pool_status()
        assert status.checked_out == 0 and status.overflow <= 0
        assert await database.fetchval("SELECT 1") == 1
    finally:
        await database.close()


# -- S3 endpoint unreachable --------------------------------------------------------------------


async def unreachable_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """S3 storage on a closed port of 127.0.0.1.

    botocore (5 attempts) and s3fs (5 retries, backing off) both retry a refused
    connection: about 10 s before the error with their defaults. One attempt each
    keeps the test fast; the error is the same.
    """
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    conf.configure(
        media_storage="s3",
        media_s3_bucket="aksara-faults",
        media_s3_region="us-east-1",
        media_s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
        media_s3_access_key_id="testing",
        media_s3_secret_access_key="testing",
    )
    get_storage().fs.retries = 1  # type: ignore[attr-defined]


async def test_upload_to_an_unreachable_s3_endpoint_raises_storage_error_and_writes_no_row(
    transactional_db, monkeypatch
):
    await unreachable_s3(monkeypatch)
    try:
        upload = FaultUpload(title="report", file=("report.txt", b"quarterly figures"))
        with pytest.raises(StorageError):
            await upload.save()
        assert upload.id is None or not await FaultUpload.objects.filter(id=upload.id).exists()

        with pytest.raises(StorageError):
            async with aksara.transaction():
                await FaultNote.objects.create(title="in the same transaction")
                await FaultUpload.objects.create(title="report", file=("report.txt", b"figures"))
    finally:
        await aksara.storage.close_storage()

    assert await FaultUpload.objects.count() == 0
    assert await FaultNote.objects.count() == 0  # the whole transaction rolled back


# -- SMTP server stopped -------------------------------------------------------------------------


def configure_stopped_smtp(**settings: object) -> None:
    conf.configure(
        email_backend="smtp",
        email_host="127.0.0.1",
        email_port=free_port(),
        email_timeout=2,
        **settings,
    )


async def test_send_mail_to_a_stopped_smtp_server_raises_mail_error():
    configure_stopped_smtp()
    with pytest.raises(MailError, match="could not connect"):
        await send_mail("Hello", "Body", "from@example.com", ["to@example.com"])


async def test_send_mail_to_a_stopped_smtp_server_with_fail_silently_returns_zero():
    configure_stopped_smtp()
    sent = await send_mail(
        "Hello", "Body", "from@example.com", ["to@example.com"], fail_silently=True
    )
    assert sent == 0


async def test_mail_deferred_to_commit_is_kept_for_retry_and_the_block_commits(
    transactional_db, caplog
):
    configure_stopped_smtp(email_retry_delays=(60.0,))
    async with aksara.transaction():
        await FaultNote.objects.create(title="signed up")
        queued = await send_mail(
            "Welcome", "Body", "from@example.com", ["to@example.com"], on_commit=True
        )
        assert queued == 1
    # The data is committed and the block did not fail; the mail waits, logged by its id.
    assert await FaultNote.objects.count() == 1
    (waiting,) = deferred_mail()
    assert waiting.message_ids[0] in caplog.text and "kept for retry" in caplog.text
    with SMTPTestServer() as server:
        conf.configure(**server.settings())
        assert await retry_deferred() == 1
    assert deferred_mail() == []
    (received,) = server.messages
    assert received.message["Message-ID"] == waiting.message_ids[0]


async def test_mail_deferred_to_commit_with_fail_silently_is_dropped_and_the_block_commits(
    transactional_db,
):
    configure_stopped_smtp()
    async with aksara.transaction():
        await FaultNote.objects.create(title="signed up")
        await send_mail(
            "Welcome",
            "Body",
            "from@example.com",
            ["to@example.com"],
            on_commit=True,
            fail_silently=True,
        )
    assert await FaultNote.objects.count() == 1


async def test_mail_failing_after_commit_keeps_the_committed_rows_files(transactional_db):
    configure_stopped_smtp(media_storage="memory", email_retry_delays=(60.0,))
    storage = get_storage()
    async with aksara.transaction():
        upload = await FaultUpload.objects.create(
            title="report", file=("report.txt", b"quarterly figures")
        )
        assert await storage.exists(upload.file.name)
        await send_mail("Uploaded", "Body", "from@example.com", ["to@example.com"], on_commit=True)
    assert len(deferred_mail()) == 1

    stored = await FaultUpload.objects.get(id=upload.id)
    # The row is committed, so its file must still be there: a failed on_commit hook is
    # not a rollback.
    assert await storage.exists(stored.file.name)


async def test_app_shutdown_sends_deferred_mail_once_more(transactional_db):
    configure_stopped_smtp(email_retry_delays=(60.0,))
    for subject in ("One", "Two"):
        async with aksara.transaction():
            await send_mail(subject, "Body", "from@example.com", ["to@example.com"], on_commit=True)
    assert len(deferred_mail()) == 2
    app = Aksara()
    with SMTPTestServer() as server:
        conf.configure(**server.settings())
        async with app.router.lifespan_context(app):
            pass
    assert sorted(m.message["Subject"] for m in server.messages) == ["One", "Two"]
    assert deferred_mail() == []


async def test_app_shutdown_logs_deferred_mail_it_still_cannot_send(transactional_db, caplog):
    configure_stopped_smtp(email_retry_delays=(60.0,))
    async with aksara.transaction():
        await send_mail("Lost", "Body", "from@example.com", ["to@example.com"], on_commit=True)
    (waiting,) = deferred_mail()
    app = Aksara()
    async with app.router.lifespan_context(app):
        pass
    assert deferred_mail() == []
    assert "could not be sent" in caplog.text
    assert f"deferred mail discarded: {waiting.message_ids[0]}" in caplog.text


async def test_a_connection_given_back_serves_the_next_statement_of_the_same_turn(small_pool):
    pool = small_pool.engine.sync_engine.pool
    pid = await small_pool.fetchval("SELECT pg_backend_pid()")
    # Given back, it waits for the next statement of this turn of the event loop; to the
    # application it is idle, and in the pool's queue once the turn ends.
    assert pool.checkedout() == 1 and small_pool.pool_status().checked_out == 0
    assert small_pool.pool_status().idle == 1
    assert await small_pool.fetchval("SELECT pg_backend_pid()") == pid
    await asyncio.sleep(0)
    assert pool.checkedout() == 0 and pool.checkedin() == 1

    # Another task waiting in the pool's queue gets it when the turn ends.
    async def many() -> list[int]:
        return [await small_pool.fetchval("SELECT $1::int", [i]) for i in range(20)]

    first, second = await asyncio.gather(many(), many())
    assert first == second == list(range(20))
    async with aksara.transaction():
        await FaultNote.objects.create(title="in a transaction")
    assert await FaultNote.objects.count() == 1
    await asyncio.sleep(0)
    assert pool.checkedout() == 0


async def test_a_held_connection_closed_by_the_server_is_not_used(small_pool, admin):
    pid = await small_pool.fetchval("SELECT pg_backend_pid()")
    held = small_pool._held[0]
    held.raw.terminate()  # closed while held: the next statement takes another
    assert await small_pool.fetchval("SELECT pg_backend_pid()") != pid
    await small_pool.close_connections()  # gives back what it holds first
    assert small_pool._held == [] and small_pool.pool_status().checked_out == 0
    assert await small_pool.fetchval("SELECT 1") == 1


async def test_pool_recycle_applies_to_statements_run_back_to_back(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_recycle=1)
    try:
        first = await database.fetchval("SELECT pg_backend_pid()")
        record = database._held[0].record
        record.starttime -= 2  # opened 2 s ago: past pool_recycle
        # The next statement of the same turn does not take it: the pool recycles it.
        assert await database.fetchval("SELECT pg_backend_pid()") != first
        second = await database.fetchval("SELECT pg_backend_pid()")
        database._pool._invalidate_time = time.time() + 1  # as the pool's invalidate() does
        assert await database.fetchval("SELECT pg_backend_pid()") != second
    finally:
        await database.close()


async def test_after_the_engine_is_disposed_of_its_new_pool_is_used(transactional_db):
    database = Database(transactional_db.url, pool_size=2, max_overflow=0)
    try:
        await database.fetchval("SELECT 1")
        old = database.engine.sync_engine.pool
        await database.engine.dispose()  # directly, not close_connections()
        pids = []
        for _ in range(4):
            pids.append(await database.fetchval("SELECT pg_backend_pid()"))
            await asyncio.sleep(0)  # the turn ends: the connection goes back
        new = database.engine.sync_engine.pool
        assert database._pool is new and new is not old
        assert len(set(pids[1:])) == 1  # reused, from the new pool
        assert new.checkedout() == 0 and new.checkedin() == 1
    finally:
        await database.close()
