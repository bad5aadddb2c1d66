"""The one way aksara runs blocking work (Pillow, local disk, sync fsspec) off the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func(*args, **kwargs)`` in a worker thread and await its result."""
    return await asyncio.to_thread(functools.partial(func, *args, **kwargs))


async def run_to_the_end(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """``run_in_thread()``, awaited to its end even when the task is cancelled meanwhile (a
    thread cannot be stopped): ``CancelledError`` is raised once the work is done, so that
    the caller's clean-up knows what the work did."""
    work = asyncio.ensure_future(run_in_thread(func, *args, **kwargs))
    if await settle(work):
        raise asyncio.CancelledError
    return work.result()


async def settle(work: asyncio.Future[Any]) -> bool:
    """Wait for ``work`` to end, even when this task is cancelled meanwhile; return True when
    it was (the caller raises ``CancelledError`` once it has dealt with the outcome)."""
    cancelled = False
    while not work.done():
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            if work.cancelled():
                break  # the work itself was cancelled (its loop is closing)
            cancelled = True
        except BaseException:
            break
    return cancelled
