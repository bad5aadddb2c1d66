"""Mail deferred to a commit (``send_mail(..., on_commit=True)``): sent after the COMMIT, and
kept for retry when the transport fails then.

The rows are committed by then, so a mail server that is down must not turn a committed
request into an error: the failure is logged with the messages' ``Message-ID``s and the
messages are sent again in the background, after each of ``settings.email_retry_delays``
seconds (1, 10 and 60 by default), then logged as dropped. ``retry_deferred()`` tries the
waiting ones at once (at shutdown, say); ``deferred_mail()`` lists them. Each message keeps
its ``Message-ID`` across attempts, so a receiver can tell a repeat from a new message.
``discard_deferred()`` gives up on them. The waiting messages live in this process: a
durable outbox in PostgreSQL is planned with the job queue.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from aksara.conf import get_settings
from aksara.core.mail.backends import get_connection
from aksara.core.mail.backends.base import BaseEmailBackend
from aksara.core.mail.message import EmailMessage
from aksara.exceptions import MailError

logger = logging.getLogger("aksara.mail")


@dataclass(eq=False)
class DeferredMail:
    """Messages whose sending after a commit failed, and how often it was tried.

    ``backend`` is the connection the caller passed; None means a new one from the settings
    in force at each attempt (so a corrected ``email_host`` is used by the retries)."""

    backend: BaseEmailBackend | None
    messages: list[EmailMessage]
    attempts: int = 1
    errors: list[str] = field(default_factory=list)

    @property
    def message_ids(self) -> list[str]:
        return [m.extra_headers.get("Message-ID", "") for m in self.messages]


_waiting: list[DeferredMail] = []
_retrying: set[asyncio.Task[None]] = set()


def stamp(messages: Sequence[EmailMessage]) -> None:
    """Give each message its ``Message-ID`` now, so that every attempt sends the same one."""
    for message in messages:
        headers = message.extra_headers
        if not any(name.lower() == "message-id" for name in headers):
            domain = message.from_email.rpartition("@")[2].rstrip(">") or None
            headers["Message-ID"] = email.utils.make_msgid(domain=domain)


async def send_after_commit(backend: BaseEmailBackend | None, messages: list[EmailMessage]) -> None:
    """Send ``messages``; on a transport error keep them for retry instead of raising."""
    try:
        await (backend or get_connection()).send_messages(messages)
    except MailError as error:
        deferred = DeferredMail(backend, messages, errors=[str(error)])
        _waiting.append(deferred)
        logger.error(
            "mail deferred to a commit could not be sent (%s); kept for retry: %s",
            error,
            ", ".join(deferred.message_ids),
        )
        _schedule(deferred)


def deferred_mail() -> list[DeferredMail]:
    """The deferred messages waiting to be sent again."""
    return list(_waiting)


def discard_deferred() -> list[DeferredMail]:
    """Stop retrying: forget the waiting messages (logged as dropped) and return them."""
    dropped = list(_waiting)
    _waiting.clear()
    for task in list(_retrying):
        task.cancel()
    for deferred in dropped:
        logger.error("deferred mail discarded: %s", ", ".join(deferred.message_ids))
    return dropped


async def retry_deferred() -> int:
    """Try every waiting message now; return how many were sent."""
    sent = 0
    for deferred in list(_waiting):
        sent += await _attempt(deferred)
    return sent


def _schedule(deferred: DeferredMail) -> None:
    task = asyncio.ensure_future(_retry_later(deferred))
    _retrying.add(task)
    task.add_done_callback(_retrying.discard)


async def _retry_later(deferred: DeferredMail) -> None:
    for delay in get_settings().email_retry_delays:
        await asyncio.sleep(delay)
        if deferred not in _waiting or await _attempt(deferred):
            return
    if deferred in _waiting:
        _waiting.remove(deferred)
        logger.error(
            "mail deferred to a commit was dropped after %d attempts: %s (%s)",
            deferred.attempts,
            ", ".join(deferred.message_ids),
            deferred.errors[-1],
        )


async def _attempt(deferred: DeferredMail) -> int:
    if deferred not in _waiting:
        return 0
    deferred.attempts += 1
    try:
        await (deferred.backend or get_connection()).send_messages(deferred.messages)
    except MailError as error:
        deferred.errors.append(str(error))
        logger.warning(
            "mail deferred to a commit failed again (attempt %d): %s",
            deferred.attempts,
            ", ".join(deferred.message_ids),
        )
        return 0
    if deferred in _waiting:
        _waiting.remove(deferred)
    logger.info("mail deferred to a commit was sent: %s", ", ".join(deferred.message_ids))
    return len(deferred.messages)
