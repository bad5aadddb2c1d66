"""The "Async Email" examples of spec/media-and-email.md, run as written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aksara.conf import Settings, configure
from aksara.core.mail import get_connection, send_mail
from aksara.core.mail.backends.smtp import SMTPBackend
from aksara.testing.mail import SMTPTestServer


@pytest.fixture
def spec_smtp_server(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[SMTPTestServer]:
    """STARTTLS + AUTH for the spec's user "mailer" / "secret", its certificate trusted system-wide."""
    certfile, keyfile = certificate
    # OpenSSL's default verify paths read SSL_CERT_FILE: settings alone then verify the cert.
    monkeypatch.setenv("SSL_CERT_FILE", str(certfile))
    with SMTPTestServer(
        starttls=True, certfile=certfile, keyfile=keyfile, users={"mailer": "secret"}
    ) as server:
        yield server


def test_smtp_configuration_example_configures_the_smtp_backend() -> None:
    configure(
        Settings(
            email_backend="smtp",
            default_from_email="noreply@example.com",
            email_host="smtp.example.com",
            email_port=587,
            email_host_user="mailer",
            email_host_password="secret",
            email_use_tls=True,
        )
    )

    backend = get_connection()
    assert isinstance(backend, SMTPBackend)
    assert (backend.host, backend.port, backend.username) == ("smtp.example.com", 587, "mailer")
    assert backend.use_tls and not backend.use_ssl
    assert repr(backend) == "<SMTPBackend smtp.example.com:587 starttls auth=yes>"


async def test_smtp_configuration_example_sends_through_a_real_starttls_server(
    spec_smtp_server: SMTPTestServer,
) -> None:
    # The spec's configuration, with the host and port of the local test server.
    configure(
        Settings(
            email_backend="smtp",
            default_from_email="noreply@example.com",
            email_host=spec_smtp_server.host,
            email_port=spec_smtp_server.port,
            email_host_user="mailer",
            email_host_password="secret",
            email_use_tls=True,
        )
    )

    await send_mail(
        "Welcome to Aksara",
        "Your account is ready.",
        None,
        ["user@example.com"],
    )
    await send_mail(
        "Password Reset",
        "Use the link below to reset your password.",
        None,
        ["user@example.com"],
        html_message="<p>Use the link below to reset your password.</p>",
    )

    welcome, reset = spec_smtp_server.messages
    assert welcome.login == "mailer"
    assert welcome.mail_from == "noreply@example.com"
    assert welcome.rcpt_tos == ("user@example.com",)
    assert welcome.message["Subject"] == "Welcome to Aksara"
    assert welcome.message.get_content().strip() == "Your account is ready."
    assert reset.message.get_content_type() == "multipart/alternative"
    html = reset.message.get_body(preferencelist=("html",))
    assert html is not None
    assert html.get_content().strip() == "<p>Use the link below to reset your password.</p>"


async def test_console_backend_is_the_default_and_prints_the_welcome_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(Settings())

    await send_mail(
        "Welcome to Aksara",
        "Your account is ready.",
        None,
        ["user@example.com"],
    )

    out = capsys.readouterr().out
    assert "Subject: Welcome to Aksara" in out
    assert "Your account is ready." in out


async def test_testing_example_with_the_locmem_backend() -> None:
    from aksara.conf import Settings, configure
    from aksara.core.mail import outbox, reset_outbox

    configure(Settings(email_backend="locmem"))
    reset_outbox()

    await send_mail("Subject", "Body", None, ["user@example.com"])
    assert len(outbox) == 1
    assert outbox[0].subject == "Subject"


def test_send_mail_is_importable_from_aksara_as_the_spec_does() -> None:
    from aksara import send_mail as exported

    assert exported is send_mail
