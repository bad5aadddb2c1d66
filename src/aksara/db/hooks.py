"""Work that follows a transaction's outcome: ``on_commit`` and ``on_rollback`` hooks."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aksara.db._context import current_transaction

Hook = Callable[[], Any] | Callable[[], Awaitable[Any]]

logger = logging.getLogger("aksara.db")


async def run_hooks(hooks: list[Hook], event: str) -> list[Exception]:
    """Run every hook in order, each one even if others fail; return the failures.

    A failure is logged (``aksara.db``, with the hook and its traceback) and never raised:
    after a commit it cannot undo the commit, and after a rollback it must not hide the
    error that caused it. Once a transaction's outcome is decided its hooks run to the end
    even if the task is cancelled meanwhile (a client disconnect): a rollback must not leave
    an uploaded file behind, nor a commit lose its deferred mail.
    """
    if not hooks:
        return []
    pending, hooks[:] = list(hooks), []
    task = asyncio.ensure_future(_run_all(pending, event))
    _running_hooks.add(task)
    task.add_done_callback(_running_hooks.discard)
    return await asyncio.shield(task)


_running_hooks: set[asyncio.Future[list[Exception]]] = set()


async def _run_all(pending: list[Hook], event: str) -> list[Exception]:
    errors: list[Exception] = []
    for hook in pending:
        try:
            result = hook()
            if inspect.isawaitable(result):
                await result
        except Exception as error:
            errors.append(error)
            logger.error("%s hook %r failed", event, hook, exc_info=error)
    return errors


def in_transaction() -> bool:
    """True inside an ``aksara.transaction()`` block (or a test's pinned transaction)."""
    return current_transaction() is not None


async def on_commit(callback: Hook) -> None:
    """Run ``callback`` after the current transaction commits; at once when there is none.

    ``callback`` takes no arguments and may be a coroutine function.
    """
    tx = current_transaction()
    if tx is None or tx.pinned:
        # Nothing to wait for: it runs now, and its error is the caller's.
        errors = await run_hooks([callback], "on_commit")
        if errors:
            raise errors[0]
    else:
        tx.on_commit_hooks.append(callback)


async def on_rollback(callback: Hook) -> None:
    """Run ``callback`` if the current transaction block rolls back; never when there is none."""
    tx = current_transaction()
    if tx is not None:
        tx.on_rollback_hooks.append(callback)
