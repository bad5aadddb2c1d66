"""``send_mail()`` and ``send_mass_mail()``: the one-call ways to send."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence

from aksara.core.mail import deferred
from aksara.core.mail.backends import get_connection
from aksara.core.mail.backends.base import BaseEmailBackend, check_messages
from aksara.core.mail.message import Attachment, EmailMessage, EmailMultiAlternatives


async def send_mail(
    subject: str,
    message: str,
    from_email: str | None,
    recipient_list: Sequence[str],
    *,
    html_message: str | None = None,
    fail_silently: bool = False,
    cc: Sequence[str] | None = None,
    bcc: Sequence[str] | None = None,
    reply_to: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Iterable[Attachment | tuple[str | None, str | bytes, str | None]] | None = None,
    connection: BaseEmailBackend | None = None,
    on_commit: bool = False,
) -> int:
    """Send one message to ``recipient_list`` and return the number sent (1, or 0).

    ``from_email=None`` uses the ``default_from_email`` setting; ``html_message`` adds an
    HTML alternative to the plain-text ``message``. ``attachments`` holds
    ``(filename, content, mimetype)`` triples. ``connection`` reuses an open backend
    (its own ``fail_silently`` then applies); otherwise the ``email_backend`` setting
    picks one.

    With ``on_commit=True`` inside ``aksara.db.transaction()``, the message is checked now
    but sent only after the transaction commits, and never if it rolls back; the
    return value is then the number queued. A transport error after the commit does not
    make the block fail: it is logged and the message retried (``aksara.core.mail.deferred``).
    Outside a transaction it is sent at once.

    Raises ``BadHeaderError`` for a newline in the subject, an address or a header,
    ``MailError`` for an invalid address (nothing is sent in either case) and, unless
    ``fail_silently``, ``MailError`` when the transport fails.
    """
    mail = EmailMultiAlternatives(
        subject,
        message,
        from_email,
        recipient_list,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        headers=headers,
        attachments=attachments,
    )
    if html_message is not None:
        mail.attach_alternative(html_message, "text/html")
    return await _deliver([mail], connection, fail_silently=fail_silently, on_commit=on_commit)


async def send_mass_mail(
    datatuple: Iterable[tuple[str, str, str | None, Sequence[str]]],
    *,
    fail_silently: bool = False,
    connection: BaseEmailBackend | None = None,
    on_commit: bool = False,
) -> int:
    """Send each ``(subject, message, from_email, recipient_list)`` over one connection.

    Returns the number of messages sent. Every message is checked before the connection
    opens, so bad input in any of them sends none. With ``fail_silently`` a message the
    server refuses is skipped and the rest are still sent. ``on_commit`` works as in
    ``send_mail()``.
    """
    messages = [
        EmailMessage(subject, body, from_email, recipient_list)
        for subject, body, from_email, recipient_list in datatuple
    ]
    return await _deliver(messages, connection, fail_silently=fail_silently, on_commit=on_commit)


async def _deliver(
    messages: list[EmailMessage],
    connection: BaseEmailBackend | None,
    *,
    fail_silently: bool,
    on_commit: bool,
) -> int:
    backend = connection if connection is not None else get_connection(fail_silently=fail_silently)
    if on_commit:
        # Imported here: mail works without the database layer unless deferral is asked for.
        from aksara.db import hooks

        if hooks.in_transaction():
            # Check now, so bad input fails inside the transaction rather than after it.
            queued = len(await check_messages(messages))
            deferred.stamp(messages)
            # fail_silently: the caller accepts losing the mail, so there is nothing to retry.
            later: hooks.Hook = (
                functools.partial(backend.send_messages, messages)
                if fail_silently
                else functools.partial(deferred.send_after_commit, connection, messages)
            )
            await hooks.on_commit(later)
            return queued
    return await backend.send_messages(messages)
