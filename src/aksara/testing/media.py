"""Media storage for tests: an in-memory storage fixture and a real S3 API (moto's server).

Fixtures:

- ``memory_media_storage``: configures ``media_storage="memory"`` for one test and yields
  the (empty) ``MemoryStorage`` that ``get_storage()`` now returns.
- ``moto_s3_server`` (session): moto's S3 server on 127.0.0.1 with one bucket, stopped
  at the end of the run. Needs ``moto[server]``.
- ``s3_storages`` (session): makes ``S3Storage`` objects on that server, each under a
  prefix of its own (``s3_storages.new()``), and closes them at the end of the run.
- ``s3_media_storage``: configures S3 storage on that server for one test, under a
  prefix of its own, and yields the ``S3Storage`` that ``get_storage()`` now returns.

``run_moto_s3()`` starts the same server outside pytest (benchmarks, scripts).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from aksara.conf import configure, get_settings
from aksara.storage import MemoryStorage, S3Storage, get_storage


@dataclass(frozen=True)
class S3Server:
    """Where a test S3 server listens, its bucket, and the (dummy) credentials it accepts."""

    endpoint_url: str
    bucket: str
    region: str = "us-east-1"
    access_key_id: str = "testing"
    secret_access_key: str = "testing"

    def media_settings(self, **overrides: Any) -> dict[str, Any]:
        """The ``media_*`` settings for S3 storage on this server: ``configure(**server.media_settings())``."""
        values: dict[str, Any] = {
            "media_storage": "s3",
            "media_s3_bucket": self.bucket,
            "media_s3_region": self.region,
            "media_s3_endpoint_url": self.endpoint_url,
            "media_s3_access_key_id": self.access_key_id,
            "media_s3_secret_access_key": self.secret_access_key,
            "media_public_base_url": None,
        }
        return {**values, **overrides}

    def storage(self, **overrides: Any) -> S3Storage:
        """A new ``S3Storage`` on this server (``prefix=``, ``public_base_url=``, ...)."""
        options: dict[str, Any] = {
            "bucket": self.bucket,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
        }
        return S3Storage(**{**options, **overrides})

    def client(self) -> Any:
        """A blocking botocore S3 client on this server, to look behind the storage's back."""
        session = importlib.import_module("botocore.session")
        return session.get_session().create_client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )


@contextmanager
def run_moto_s3(
    bucket: str = "aksara-test-media", region: str = "us-east-1"
) -> Generator[S3Server, None, None]:
    """Run moto's S3 server on 127.0.0.1 (a free port) with ``bucket`` created, then stop it."""
    try:
        moto_server = importlib.import_module("moto.server")
    except ImportError as exc:
        raise RuntimeError('the S3 test server needs moto: pip install "moto[server]"') from exc
    # Port 0: the OS picks a free port when the server binds, so there is no race for it.
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        s3 = S3Server(endpoint_url=f"http://{host}:{port}", bucket=bucket, region=region)
        client = s3.client()
        try:
            client.create_bucket(Bucket=bucket)
        finally:
            client.close()
        yield s3
    finally:
        server.stop()


class S3Storages:
    """Makes ``S3Storage`` objects on a test server, each under a prefix of its own.

    They are closed at the end of the run rather than of each test: the ``db`` fixture
    rolls back after the other fixtures of a test are torn down, and that rollback
    deletes the files the test saved, through the storage.
    """

    def __init__(self, server: S3Server) -> None:
        self.server = server
        self._storages: list[S3Storage] = []

    def new(self, **overrides: Any) -> S3Storage:
        """A new storage (``S3Server.storage`` options) under a fresh ``test-<hex>`` prefix."""
        options: dict[str, Any] = {"prefix": f"test-{uuid.uuid4().hex}", **overrides}
        return self.track(self.server.storage(**options))

    def track(self, storage: S3Storage) -> S3Storage:
        """Close ``storage`` with the others at the end of the run."""
        self._storages.append(storage)
        return storage

    async def close(self) -> None:
        storages, self._storages = self._storages, []
        for storage in storages:
            await storage.close()


@pytest.fixture(scope="session")
def moto_s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1 with one bucket, for the whole test run."""
    with run_moto_s3() as server:
        yield server


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - depends on the installation
    pytest_asyncio = None  # type: ignore[assignment]

if pytest_asyncio is not None:

    @pytest_asyncio.fixture(scope="session", loop_scope="session")
    async def s3_storages(moto_s3_server: S3Server) -> AsyncIterator[S3Storages]:
        """Makes S3 storages on the moto server (``s3_storages.new()``); closes them at the end."""
        storages = S3Storages(moto_s3_server)
        try:
            yield storages
        finally:
            await storages.close()

else:  # pragma: no cover - depends on the installation

    def _needs_pytest_asyncio(moto_s3_server: S3Server) -> Iterator[S3Storages]:
        raise pytest.UsageError(
            "s3_storages needs pytest-asyncio: pip install 'aksara-orm[testing]'"
        )

    s3_storages = pytest.fixture(scope="session", name="s3_storages")(_needs_pytest_asyncio)


@pytest.fixture
def memory_media_storage() -> Iterator[MemoryStorage]:
    """Configure in-memory media storage for this test; the previous settings come back after."""
    previous = get_settings()
    configure(media_storage="memory")
    storage = get_storage()
    if not isinstance(storage, MemoryStorage):  # pragma: no cover - configure() just set it
        raise TypeError(f"expected MemoryStorage, got {storage!r}")
    try:
        yield storage
    finally:
        configure(previous)


@pytest.fixture
def s3_media_storage(s3_storages: S3Storages) -> Iterator[S3Storage]:
    """Configure S3 media storage on the moto server for this test, under its own prefix."""
    previous = get_settings()
    prefix = f"test-{uuid.uuid4().hex}"
    configure(**s3_storages.server.media_settings(media_s3_prefix=prefix))
    storage = get_storage()
    if not isinstance(storage, S3Storage):  # pragma: no cover - configure() just set it
        raise TypeError(f"expected S3Storage, got {storage!r}")
    s3_storages.track(storage)
    try:
        yield storage
    finally:
        configure(previous)
