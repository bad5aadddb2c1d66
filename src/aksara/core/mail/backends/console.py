"""``ConsoleBackend``: writes each message, headers and body, to stdout for development."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from aksara._concurrency import run_in_thread
from aksara.core.mail.backends.base import BaseEmailBackend, check_messages
from aksara.core.mail.message import EmailMessage
from aksara.exceptions import MailError

SEPARATOR = "-" * 79


class ConsoleBackend(BaseEmailBackend):
    """Writes every message as it would go over the wire, followed by a line of dashes.

    ``stream`` defaults to ``sys.stdout`` at the time of sending. Messages are built and
    written in a worker thread, since a terminal or pipe can block.
    """

    def __init__(self, *, stream: TextIO | None = None, fail_silently: bool = False) -> None:
        super().__init__(fail_silently=fail_silently)
        self.stream = stream

    async def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        accepted = [message for message, _ in await check_messages(messages)]
        if not accepted:
            return 0
        text = await run_in_thread(_render_all, accepted)
        stream = self.stream or sys.stdout
        try:
            await run_in_thread(_write, stream, text)
        except (OSError, ValueError) as exc:  # ValueError: write to a closed file
            if self.fail_silently:
                return 0
            raise MailError(
                f"could not write {len(accepted)} message(s) to {stream!r}: {exc}"
            ) from exc
        return len(accepted)


def _render(message: EmailMessage) -> str:
    mime = message.message()
    data = mime.as_bytes(policy=mime.policy.clone(linesep="\n"))
    text = data.decode("utf-8", errors="replace")
    if not text.endswith("\n"):
        text += "\n"
    return f"{text}{SEPARATOR}\n"


def _render_all(messages: list[EmailMessage]) -> str:
    return "".join(_render(m) for m in messages)


def _write(stream: TextIO, text: str) -> None:
    # One write for the whole batch, so concurrent sends do not interleave.
    stream.write(text)
    stream.flush()
