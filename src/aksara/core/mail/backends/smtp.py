"""``SMTPBackend``: delivers over SMTP with aiosmtplib (plain, STARTTLS or implicit TLS, AUTH)."""

from __future__ import annotations

import asyncio
import email.message
import logging
import socket
import ssl
from collections.abc import Sequence

import aiosmtplib
from pydantic import SecretStr

from aksara._concurrency import run_in_thread
from aksara.conf import get_settings
from aksara.core.mail.backends.base import BaseEmailBackend, check_messages
from aksara.core.mail.message import EmailMessage, Envelope
from aksara.exceptions import ConfigurationError, MailError

logger = logging.getLogger("aksara.mail")

# aiosmtplib's own default, used when the email_timeout setting is None.
DEFAULT_TIMEOUT = 60.0

# 421: the server is closing the channel (RFC 5321 4.2.3); the message may be retried.
_CLOSING_CHANNEL = 421

_local_hostname: str | None = None


async def _get_local_hostname() -> str:
    # aiosmtplib would look the FQDN up again on every connect; once per process is enough.
    global _local_hostname
    if _local_hostname is None:
        _local_hostname = await run_in_thread(socket.getfqdn)
    return _local_hostname


class SMTPBackend(BaseEmailBackend):
    """Sends mail through an SMTP server.

    Every option defaults to its setting: ``host`` (``email_host``), ``port``
    (``email_port``), ``username`` and ``password`` (``email_host_user``,
    ``email_host_password``; AUTH is used when both are set), ``use_tls`` (``email_use_tls``:
    STARTTLS after connecting, usually port 587), ``use_ssl`` (``email_use_ssl``: TLS
    from the first byte, usually port 465) and ``timeout`` (``email_timeout``, seconds;
    60 when unset). ``tls_context`` is an ``ssl.SSLContext`` for both TLS modes, e.g.
    one that trusts a private CA.

    Raises ``MailError`` when connecting, logging in or sending fails (unless
    ``fail_silently``); the message says which message and recipients failed. A
    connection that drops during a batch is reopened once. The password never appears
    in a repr, a log record or an error message.
    """

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        username: str | None = None,
        password: str | SecretStr | None = None,
        use_tls: bool | None = None,
        use_ssl: bool | None = None,
        timeout: float | None = None,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        fail_silently: bool = False,
    ) -> None:
        super().__init__(fail_silently=fail_silently)
        settings = get_settings()
        self.host = host if host is not None else settings.email_host
        self.port = port if port is not None else settings.email_port
        self.username = username if username is not None else settings.email_host_user
        if password is None:
            password = settings.email_host_password
        self._password = password if isinstance(password, SecretStr) else SecretStr(password)
        self.use_tls = use_tls if use_tls is not None else settings.email_use_tls
        self.use_ssl = use_ssl if use_ssl is not None else settings.email_use_ssl
        if self.use_tls and self.use_ssl:
            raise ConfigurationError(
                "email_use_tls (STARTTLS) and email_use_ssl (implicit TLS) are mutually "
                "exclusive; set only one"
            )
        if timeout is None:
            timeout = settings.email_timeout
        self.timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self.tls_context = tls_context
        self.local_hostname = local_hostname
        self._client: aiosmtplib.SMTP | None = None
        # True between open() and close(): sends then leave the connection open.
        self._keep_open = False
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        security = "starttls" if self.use_tls else "ssl" if self.use_ssl else "plain"
        auth = " auth=yes" if self._uses_auth else ""
        return f"<SMTPBackend {self.host}:{self.port} {security}{auth}>"

    @property
    def _uses_auth(self) -> bool:
        return bool(self.username and self._password.get_secret_value())

    @property
    def _where(self) -> str:
        return f"SMTP server {self.host}:{self.port}"

    async def open(self) -> bool:
        """Connect (and log in) unless already connected; return True if this call connected.

        Until ``close()``, sends keep the connection open, reopening it if the server
        closed it meanwhile. With ``fail_silently`` a failed connection returns False
        instead of raising.
        """
        async with self._lock:
            self._keep_open = True
            try:
                return await self._ensure_connected()
            except MailError:
                if self.fail_silently:
                    return False
                raise

    async def close(self) -> None:
        """Say QUIT and close the connection. Errors while closing are not reported."""
        async with self._lock:
            self._keep_open = False
            await self._disconnect()

    async def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        # Check every message before connecting: bad input sends nothing.
        outgoing = await check_messages(messages)
        if not outgoing:
            return 0
        async with self._lock:
            try:
                await self._ensure_connected()
            except MailError:
                if self.fail_silently:
                    return 0
                raise
            try:
                return await self._send_all(outgoing)
            except asyncio.CancelledError:
                # Cancelled mid-conversation: the session state is unknown, so drop it.
                self._abort()
                raise
            finally:
                if not self._keep_open:
                    await self._disconnect()

    async def _send_all(self, outgoing: list[tuple[EmailMessage, Envelope]]) -> int:
        sent = 0
        reopened = False
        total = len(outgoing)
        for number, (message, envelope) in enumerate(outgoing, start=1):
            # Built one at a time, just before sending, so a long batch never holds the
            # event loop for long (building takes about half a millisecond).
            mime = message.message()
            while True:
                try:
                    await self._send_one(message, mime, envelope)
                except (aiosmtplib.SMTPException, OSError) as exc:
                    if _is_dropped_connection(exc) and not reopened:
                        reopened = True
                        logger.info("%s dropped the connection; reopening it once", self._where)
                        await self._disconnect()
                        try:
                            await self._ensure_connected()
                        except MailError:
                            if self.fail_silently:
                                return sent
                            raise
                        continue
                    if not self.fail_silently:
                        raise self._send_error(message, envelope, number, total, sent, exc) from exc
                    logger.debug(
                        "%s", self._send_error(message, envelope, number, total, sent, exc)
                    )
                    if _is_dropped_connection(exc):
                        return sent  # already reopened once: give up on the rest
                else:
                    sent += 1
                break
        return sent

    async def _send_one(
        self, message: EmailMessage, mime: email.message.EmailMessage, envelope: Envelope
    ) -> None:
        if self._client is None or not self._client.is_connected:
            raise aiosmtplib.SMTPServerDisconnected("not connected")
        refused, _ = await self._client.send_message(
            mime, sender=envelope.sender, recipients=envelope.recipients
        )
        if refused:
            # Accepted for some recipients: the message is out and must not be resent.
            logger.warning(
                "%s accepted %r but refused %s",
                self._where,
                message.subject,
                ", ".join(f"{rcpt} ({r.code} {r.message})" for rcpt, r in refused.items()),
            )

    async def _ensure_connected(self) -> bool:
        if self._client is not None and self._client.is_connected:
            return False
        await self._disconnect()
        auth = self._uses_auth
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username if auth else None,
            password=self._password.get_secret_value() if auth else None,
            local_hostname=self.local_hostname or await _get_local_hostname(),
            timeout=self.timeout,
            use_tls=self.use_ssl,
            start_tls=self.use_tls,
            tls_context=self.tls_context,
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise MailError(f"{self._where} rejected the login: {exc.code} {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailError(f"could not connect to {self._where}: {_describe(exc)}") from exc
        logger.debug("connected to %s", self._where)
        self._client = client
        return True

    def _abort(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The messages are already accepted; a failed QUIT changes nothing for the caller.
            logger.debug("QUIT to %s failed: %s", self._where, _describe(exc))
        finally:
            client.close()

    def _send_error(
        self,
        message: EmailMessage,
        envelope: Envelope,
        number: int,
        total: int,
        sent: int,
        exc: BaseException,
    ) -> MailError:
        return MailError(
            f"{self._where} did not accept message {number} of {total} "
            f"(subject {message.subject!r}, to {', '.join(envelope.recipients)}): "
            f"{_describe(exc)}; {sent} sent before it"
        )


def _is_dropped_connection(exc: BaseException) -> bool:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code == _CLOSING_CHANNEL
    return isinstance(exc, ConnectionError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{r.recipient} ({r.code} {r.message})" for r in exc.recipients)
        return f"every recipient was refused: {refused}"
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return f"sender {exc.sender} was refused: {exc.code} {exc.message}"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    if isinstance(exc, TimeoutError):
        return f"timed out ({exc})" if str(exc) else "timed out"
    return str(exc) or type(exc).__name__
