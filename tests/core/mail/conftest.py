"""Mail test fixtures: settings restored after each test, real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aksara import conf
from aksara.core.mail import reset_outbox
from aksara.testing.mail import SMTPTestServer, make_self_signed_certificate

USER, PASSWORD = "mailer", "s3cret-Pa55word"


@pytest.fixture(autouse=True)
def _restore_settings() -> Iterator[None]:
    previous = conf.get_settings()
    reset_outbox()
    yield
    reset_outbox()
    conf.configure(previous)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[SMTPTestServer]:
    """STARTTLS with a self-signed certificate; AUTH required after TLS."""
    certfile, keyfile = certificate
    with SMTPTestServer(
        starttls=True, certfile=certfile, keyfile=keyfile, users={USER: PASSWORD}
    ) as server:
        yield server


@pytest.fixture
def implicit_tls_server(certificate: tuple[Path, Path]) -> Iterator[SMTPTestServer]:
    certfile, keyfile = certificate
    with SMTPTestServer(
        implicit_tls=True, certfile=certfile, keyfile=keyfile, users={USER: PASSWORD}
    ) as server:
        yield server


@pytest.fixture
def auth_server() -> Iterator[SMTPTestServer]:
    """AUTH offered on a plain connection."""
    with SMTPTestServer(users={USER: PASSWORD}) as server:
        yield server
