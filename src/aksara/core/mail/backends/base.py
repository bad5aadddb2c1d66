"""``BaseEmailBackend``: what every mail backend (built-in or custom) provides."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from aksara.core.mail.message import EmailMessage


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
