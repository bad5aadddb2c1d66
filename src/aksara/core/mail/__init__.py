"""Async email: ``send_mail``, ``send_mass_mail``, ``EmailMessage`` and pluggable backends.

send_mail / send_mass_mail / EmailMessage.send
             │
             ▼
get_connection(backend)  ──  email_backend setting: "console" | "locmem" | "smtp" | dotted path
             │
             ▼
BaseEmailBackend.send_messages(messages)
   ├── ConsoleBackend   writes each message to stdout
   ├── LocmemBackend    appends to ``outbox`` (``reset_outbox()`` empties it)
   └── SMTPBackend      aiosmtplib: plain, STARTTLS, implicit TLS, AUTH
"""

from aksara.core.mail.backends import get_connection
from aksara.core.mail.backends.base import BaseEmailBackend
from aksara.core.mail.backends.locmem import outbox, reset_outbox
from aksara.core.mail.deferred import (
    DeferredMail,
    deferred_mail,
    discard_deferred,
    retry_deferred,
)
from aksara.core.mail.message import Attachment, EmailMessage, EmailMultiAlternatives, Envelope
from aksara.core.mail.send import send_mail, send_mass_mail
from aksara.exceptions import BadHeaderError, MailError

__all__ = [
    "Attachment",
    "BadHeaderError",
    "BaseEmailBackend",
    "DeferredMail",
    "EmailMessage",
    "EmailMultiAlternatives",
    "Envelope",
    "MailError",
    "deferred_mail",
    "discard_deferred",
    "get_connection",
    "outbox",
    "reset_outbox",
    "retry_deferred",
    "send_mail",
    "send_mass_mail",
]
