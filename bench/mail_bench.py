"""Mail throughput: send_mass_mail over one SMTP connection vs one connection per message.

Starts an aiosmtpd server on 127.0.0.1 (in a thread of this process, so client and server
share one interpreter) and prints messages/second, best of ``--rounds``::

    python bench/mail_bench.py [--messages 500] [--rounds 3] [--starttls]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable

from aksara.conf import configure
from aksara.core.mail import get_connection, send_mail, send_mass_mail
from aksara.testing.mail import SMTPTestServer, make_self_signed_certificate


def datatuple(n: int) -> list[tuple[str, str, str | None, list[str]]]:
    body = "Hello,\n\nThis is a benchmark message with a short plain-text body.\n" * 5
    return [(f"Message {i}", body, None, [f"user{i}@example.com"]) for i in range(n)]


async def mass_mail_one_connection(n: int) -> None:
    assert await send_mass_mail(datatuple(n)) == n


async def send_mail_reused_connection(n: int) -> None:
    async with get_connection() as connection:
        for subject, body, sender, to in datatuple(n):
            await send_mail(subject, body, sender, to, connection=connection)


async def send_mail_connection_per_message(n: int) -> None:
    for subject, body, sender, to in datatuple(n):
        await send_mail(subject, body, sender, to)


CASES: list[tuple[str, Callable[[int], Awaitable[None]], int]] = [
    # (label, function, connections expected per run: 0 means one per message)
    ("send_mass_mail, one connection", mass_mail_one_connection, 1),
    ("send_mail x N, one reused connection", send_mail_reused_connection, 1),
    ("send_mail x N, one connection per message", send_mail_connection_per_message, 0),
]


async def run(server: SMTPTestServer, messages: int, rounds: int) -> None:
    # Warm up: imports, TLS context, local host name lookup.
    await send_mail("warm-up", "x", None, ["warm@example.com"])
    best = {label: float("inf") for label, _, _ in CASES}
    # Round-robin over the cases, so a noisy moment on the machine does not favour one.
    for _ in range(rounds):
        for label, case, connections in CASES:
            server.clear()
            start = time.perf_counter()
            await case(messages)
            best[label] = min(best[label], time.perf_counter() - start)
            expected = connections or messages
            if len(server.messages) != messages or server.connections != expected:
                raise RuntimeError(
                    f"{label}: server got {len(server.messages)} messages over "
                    f"{server.connections} connections (expected {messages} over {expected})"
                )
    for label, _, connections in CASES:
        seconds = best[label]
        print(
            f"{label:<45} {messages / seconds:>9,.0f} msg/s  "
            f"({seconds * 1000:,.0f} ms for {messages}, {connections or messages} connection(s))"
        )
    stall = await longest_stall(mass_mail_one_connection(messages))
    print(f"{'longest event-loop stall during send_mass_mail':<45} {stall * 1000:>9,.1f} ms")


async def longest_stall(work: Awaitable[None]) -> float:
    """The longest time the event loop could not run another task while ``work`` ran."""
    done = asyncio.Event()
    longest = 0.0

    async def watch() -> None:
        nonlocal longest
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0)
            longest = max(longest, time.perf_counter() - before)

    watcher = asyncio.create_task(watch())
    await work
    done.set()
    await watcher
    return longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--starttls", action="store_true", help="STARTTLS on every connection")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.starttls:
            certfile, keyfile = make_self_signed_certificate(tmp)
            server = SMTPTestServer(starttls=True, certfile=certfile, keyfile=keyfile)
            # Settings carry no SSLContext; OpenSSL's default verify paths read SSL_CERT_FILE.
            os.environ["SSL_CERT_FILE"] = str(certfile)
        else:
            server = SMTPTestServer()
        with server:
            configure(**server.settings(), default_from_email="bench@example.com")
            mode = "STARTTLS" if args.starttls else "plain"
            print(
                f"aiosmtpd on {server.host}:{server.port} ({mode}), "
                f"{args.messages} messages, best of {args.rounds}"
            )
            asyncio.run(run(server, args.messages, args.rounds))


if __name__ == "__main__":
    main()
