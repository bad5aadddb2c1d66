"""``BaseEmailBackend``: what every mail backend (built-in or custom) provides."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from aksara.core.mail.message import EmailMessage, Envelope

# Checking a message takes tens of microseconds; give other tasks a turn this often.
_YIELD_EVERY = 50


class BaseEmailBackend:
    """Base class of mail backends.

    A subclass implements ``send_messages()``; one that holds a connection also implements
    ``open()`` and ``close()``. Used as ``async with``, a backend keeps one connection open
    for every send inside the block::

        async with get_connection() as connection:
            for user in users:
                await send_mail("Hi", "...", None, [user.email], connection=connection)

    ``fail_silently=True`` makes transport errors return a lower count instead of raising.
    Bad input (``BadHeaderError``, invalid addresses) always raises.
    """

    def __init__(self, *, fail_silently: bool = False) -> None:
        self.fail_silently = fail_silently

    async def open(self) -> bool:
        """Open the connection if the backend uses one; return True if this call opened it."""
        return False

    async def close(self) -> None:
        """Close the connection opened by ``open()``, if any."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        """Send ``messages`` and return how many were sent.

        Messages without recipients are skipped. Every message is checked before anything
        is sent, so bad input in one message sends none of them.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement send_messages()")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


async def check_messages(
    messages: Sequence[EmailMessage],
) -> list[tuple[EmailMessage, Envelope]]:
    """Check every message before any is sent; return those that have recipients, with envelopes.

    Raises ``BadHeaderError`` or ``MailError`` for the first bad message. Long batches
    yield to the event loop while they are checked.
    """
    checked: list[tuple[EmailMessage, Envelope]] = []
    for index, message in enumerate(messages, start=1):
        envelope = message.envelope()
        if envelope.recipients:
            checked.append((message, envelope))
        if index % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return checked
