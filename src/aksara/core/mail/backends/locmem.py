"""``LocmemBackend``: keeps sent messages in ``outbox`` for tests."""

from __future__ import annotations

from collections.abc import Sequence

from aksara.core.mail.backends.base import BaseEmailBackend, check_messages
from aksara.core.mail.message import EmailMessage

# One list for the whole process. It is only ever mutated in place, so a module that did
# ``from aksara.core.mail import outbox`` keeps seeing every message.
outbox: list[EmailMessage] = []


def reset_outbox() -> None:
    """Empty ``outbox``."""
    outbox.clear()


class LocmemBackend(BaseEmailBackend):
    """Appends each sent message to ``aksara.core.mail.outbox`` instead of delivering it.

    Messages are checked as the SMTP backend checks them, so bad input fails here too.
    """

    async def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        accepted = [message for message, _ in await check_messages(messages)]
        outbox.extend(accepted)
        return len(accepted)
