"""The line of tasks waiting for a pooled connection, first come first served.

SQLAlchemy's queue gives a connection checked in to whichever task asks next, and the task
that gave it back asks again before a woken waiter runs: a task running statements back
to back keeps the connection, and one that asked before it waits until it stops or its
``pool_timeout`` ends. ``Database.acquire()`` puts a task that finds every connection in
use in this line instead; ``Database.release()`` hands the connection to the first task in
it, and no task takes an idle connection while others wait.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

#: How often a waiting task looks at the pool itself (seconds): a connection's place can come
#: free with no connection given back (a connect that failed or was cancelled, an overflow
#: connection closed), which no checkin announces.
RECHECK = 0.05


class Line:
    """Waiting tasks, each a future given a connection (or None: the news that the pool has
    room again, to be taken from it). A task given one stays in the line until it runs
    (``out``), so that no task asking meanwhile overtakes it."""

    __slots__ = ("waiting", "_engine", "_listening")

    def __init__(self, engine: AsyncEngine) -> None:
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self._engine = engine
        self._listening = False

    def join(self, loop: asyncio.AbstractEventLoop, first: bool) -> asyncio.Future[Any]:
        """A place at the end of the line (at its head, ``first``, for a task that was woken
        and lost the connection to another)."""
        waiter: asyncio.Future[Any] = loop.create_future()
        if not self._listening:
            # While tasks wait, whatever gives a connection back to the pool (aksara, or
            # SQLAlchemy Core on the same engine) wakes the first of them. Only then: a
            # listener costs every checkin ~0.5 µs, adding and removing one 6 µs. It stays
            # with the engine's new pool after ``engine.dispose()``.
            event.listen(self._engine.sync_engine, "checkin", self._checked_in)
            self._listening = True
        if first:
            self.waiting.appendleft(waiter)
        else:
            self.waiting.append(waiter)
        return waiter

    async def wait(
        self, waiter: asyncio.Future[Any], deadline: float | None, room: Callable[[], bool]
    ) -> Any:
        """What ``waiter`` is given. Every ``RECHECK`` seconds, the first waiting task is
        woken when ``room()`` says the pool has room that nothing announced.
        ``TimeoutError`` at ``deadline`` (the loop's time; None: no end)."""
        loop = asyncio.get_running_loop()
        while not waiter.done():
            step = RECHECK
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    raise TimeoutError
                step = min(step, left)
            await asyncio.wait((waiter,), timeout=step)
            if not waiter.done() and room():
                self.wake(None)
        return waiter.result()

    def out(self, waiter: asyncio.Future[Any]) -> None:
        """``waiter``'s task runs again: out of the line. The listener goes with the last."""
        try:
            self.waiting.remove(waiter)
        except ValueError:
            pass
        if self._listening and not self.waiting:
            self._listening = False
            event.remove(self._engine.sync_engine, "checkin", self._checked_in)

    def leave(self, waiter: asyncio.Future[Any], release: Callable[[Any], None]) -> None:
        """A task gives up (cancelled, timed out): out of the line, and what it was given goes
        on (a connection through ``release``, the news to the next task)."""
        self.out(waiter)
        if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
            given = waiter.result()
            if given is not None:
                release(given)
            else:
                self.wake(None)

    def wake(self, given: Any) -> bool:
        """Give a connection (or None, the news) to the first task still waiting; False when
        none is."""
        for waiter in self.waiting:
            if not waiter.done():
                waiter.set_result(given)
                return True
        return False

    def fail(self, error: BaseException) -> None:
        """Every waiting task raises ``error`` (the database was closed)."""
        for waiter in self.waiting:
            if not waiter.done():
                waiter.set_exception(error)

    def _checked_in(self, dbapi_connection: Any, record: Any) -> None:
        if self.waiting:
            self.wake(None)
