"""Mail testing: the ``mailoutbox`` and ``smtp_server`` fixtures, and a real SMTP server to send to.

``SMTPTestServer`` runs aiosmtpd (a dev dependency) in a thread on 127.0.0.1, keeps every
message it receives (envelope and raw bytes) and counts connections, so a test can
check what really went over the wire::

    async def test_welcome_mail(smtp_server):
        await send_mail("Welcome", "Hi", None, ["user@example.com"])
        [received] = smtp_server.messages
        assert received.rcpt_tos == ("user@example.com",)
        assert received.message["Subject"] == "Welcome"
"""

from __future__ import annotations

import datetime
import email.message
import email.policy
import ipaddress
import socket
import ssl
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

from aksara import conf
from aksara.core.mail import EmailMessage, outbox, reset_outbox

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One message as the SMTP server got it: envelope, raw bytes, and who logged in."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    login: str | None = None

    @property
    def message(self) -> email.message.EmailMessage:
        """``data`` parsed into a standard ``email.message.EmailMessage``."""
        parser = BytesParser(policy=email.policy.default)
        return parser.parsebytes(self.data)


class RecordingHandler:
    """aiosmtpd handler that keeps every message and counts the connections that said EHLO/HELO.

    Subclass it and override a ``handle_*`` hook to make the server misbehave (refuse a
    recipient, drop the connection); call ``super()`` for the normal behaviour.
    """

    def __init__(self) -> None:
        self.messages: list[ReceivedMessage] = []
        self.connections = 0
        # A connection greets again after STARTTLS: count each server protocol once.
        self._greeted: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.connections = 0

    def _count_connection(self, server: Any) -> None:
        with self._lock:
            if server not in self._greeted:
                self._greeted.add(server)
                self.connections += 1

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        self._count_connection(server)
        return responses

    async def handle_HELO(self, server: Any, session: Any, envelope: Any, hostname: str) -> str:
        session.host_name = hostname
        self._count_connection(server)
        return f"250 {server.hostname}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        # auth_data is what the authenticator accepted: aiosmtpd's LoginPassword here.
        login = getattr(session.auth_data, "login", None)
        received = ReceivedMessage(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=data if isinstance(data, bytes) else data.encode("utf-8"),
            login=login.decode("utf-8") if isinstance(login, bytes) else login,
        )
        with self._lock:
            self.messages.append(received)
        return "250 Message accepted for delivery"


def make_self_signed_certificate(directory: str | Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for ``localhost`` and ``127.0.0.1``; return (cert, key) paths.

    Needs the ``cryptography`` package.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    directory = Path(directory)
    certfile, keyfile = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


def free_port(host: str = HOST) -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class SMTPTestServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, run in a thread.

    ``starttls=True`` offers STARTTLS and ``implicit_tls=True`` speaks TLS from the first
    byte; both need ``certfile`` and ``keyfile`` (see ``make_self_signed_certificate``)
    and ``client_tls_context()`` gives a context that trusts that certificate. ``users``
    maps user names to passwords and turns AUTH on (required after STARTTLS, offered
    without it). Use it as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        *,
        handler: RecordingHandler | None = None,
        host: str = HOST,
        port: int | None = None,
        starttls: bool = False,
        implicit_tls: bool = False,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
        users: Mapping[str, str] | None = None,
    ) -> None:
        if starttls and implicit_tls:
            raise ValueError("starttls and implicit_tls are mutually exclusive")
        if (starttls or implicit_tls) and not (certfile and keyfile):
            raise ValueError("TLS needs certfile and keyfile (see make_self_signed_certificate)")
        self.handler = handler if handler is not None else RecordingHandler()
        self.host = host
        self.port = port
        self.starttls = starttls
        self.implicit_tls = implicit_tls
        self.certfile = Path(certfile) if certfile else None
        self.keyfile = Path(keyfile) if keyfile else None
        self.users = dict(users or {})
        self._controller: Any = None

    def __repr__(self) -> str:
        return f"<SMTPTestServer {self.host}:{self.port}>"

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self.handler.messages

    @property
    def connections(self) -> int:
        """How many client connections greeted the server (EHLO/HELO) since start or clear()."""
        return self.handler.connections

    def clear(self) -> None:
        self.handler.clear()

    def settings(self) -> dict[str, Any]:
        """Settings for ``configure(**server.settings())`` that send mail here."""
        return {
            "email_backend": "smtp",
            "email_host": self.host,
            "email_port": self.port,
            "email_use_tls": self.starttls,
            "email_use_ssl": self.implicit_tls,
        }

    def client_tls_context(self) -> ssl.SSLContext:
        """An ``ssl.SSLContext`` that verifies this server's certificate (for ``tls_context=``)."""
        if self.certfile is None:
            raise ValueError("this server has no certificate")
        return ssl.create_default_context(cafile=str(self.certfile))

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        if self._controller is not None:
            raise RuntimeError(f"{self!r} is already running")
        server_context = None
        if self.certfile and self.keyfile:
            server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            server_context.load_cert_chain(self.certfile, self.keyfile)
        options: dict[str, Any] = {}
        if self.starttls:
            options["tls_context"] = server_context
        if self.users:
            users = self.users

            def authenticate(
                server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
            ) -> Any:
                login = auth_data.login.decode("utf-8")
                password = auth_data.password.decode("utf-8")
                ok = users.get(login) == password
                return AuthResult(success=ok, handled=False, auth_data=auth_data)

            options["authenticator"] = authenticate
            # aiosmtpd only counts STARTTLS as TLS; with implicit TLS or none it must be
            # told to offer AUTH anyway. Requiring AUTH without STARTTLS makes it warn.
            options["auth_require_tls"] = self.starttls
            options["auth_required"] = self.starttls
        if self.port is None:
            self.port = free_port(self.host)
        self._controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            server_hostname="localhost",  # else aiosmtpd looks the FQDN up per connection
            ssl_context=server_context if self.implicit_tls else None,
            **options,
        )
        self._controller.start()
        self.handler.clear()  # forget the controller's own readiness probe

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


@pytest.fixture
def mailoutbox() -> Iterator[list[EmailMessage]]:
    """Send mail to the in-memory ``outbox`` for this test; yields that (emptied) list."""
    previous = conf.get_settings()
    conf.configure(previous, email_backend="locmem")
    reset_outbox()
    try:
        yield outbox
    finally:
        reset_outbox()
        conf.configure(previous)


@pytest.fixture
def smtp_server() -> Iterator[SMTPTestServer]:
    """A plain SMTP server on 127.0.0.1, with settings pointing the ``smtp`` backend at it."""
    previous = conf.get_settings()
    with SMTPTestServer() as server:
        conf.configure(previous, **server.settings())
        try:
            yield server
        finally:
            conf.configure(previous)
