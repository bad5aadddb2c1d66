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

#: How often the line looks at the pool itself while tasks wait (seconds): a connection's
#: place can come free with no connection given back (a connect that failed or was
#: cancelled, an overflow connection closed), which no checkin announces.
RECHECK = 0.05


class Line:
    """Waiting tasks, each a future given a connection (or None: the news that the pool has
    room again, to be taken from it). A task given one stays in the line until it runs
    (``out``), so that no task asking meanwhile overtakes it.

    One timer serves the whole line (a timer per task would cost each hand-over a few µs):
    it ends the waits that reach their deadline (``TimeoutError``) and wakes the first task
    when the pool has room that nothing announced."""

    __slots__ = (
        "waiting",
        "_engine",
        "_room",
        "_listening",
        "_deadlines",
        "_loop",
        "_timer",
        "_timer_at",
    )

    def __init__(self, engine: AsyncEngine, room: Callable[[], bool]) -> None:
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self._engine = engine
        self._room = room  # True when the pool has a connection or room for one
        self._listening = False
        self._deadlines: dict[asyncio.Future[Any], float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None  # the waiting tasks' loop
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    def join(
        self, loop: asyncio.AbstractEventLoop, first: bool, deadline: float | None
    ) -> asyncio.Future[Any]:
        """A place at the end of the line (at its head, ``first``, for a task that was woken
        and lost the connection to another), until ``deadline`` (the loop's time; None: no
        end)."""
        if loop is not self._loop:
            self.settle(loop)
        waiter: asyncio.Future[Any] = loop.create_future()
        if not self._listening:
            # While tasks wait, whatever gives a connection back to the pool (aksara, or
            # SQLAlchemy Core on the same engine) wakes the first of them. Only then: a
            # listener costs every checkin ~0.5 µs, adding and removing one 6 µs. It stays
            # with the engine's new pool after ``engine.dispose()``.
            event.listen(self._engine.sync_engine, "checkin", self._checked_in)
            self._listening = True
        when = loop.time() + RECHECK
        if deadline is not None:
            self._deadlines[waiter] = deadline
            when = min(when, deadline)
        if self._timer is None or when < self._timer_at:
            self._arm(loop, when)
        if first:
            self.waiting.appendleft(waiter)
        else:
            self.waiting.append(waiter)
        return waiter

    def settle(self, loop: asyncio.AbstractEventLoop) -> None:
        """Tasks wait in ``loop`` from now on: the places of tasks whose event loop was closed
        while they waited go (their futures can be given nothing, and nothing else would take
        them out)."""
        if loop is self._loop:
            return
        self._loop = loop
        for waiter in [w for w in self.waiting if w.get_loop() is not loop]:
            self.waiting.remove(waiter)
            self._deadlines.pop(waiter, None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.waiting:
            self._quiet()

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._tick)
        self._timer_at = when

    def _tick(self) -> None:
        self._timer = None
        loop = self._loop
        if not self.waiting or loop is None:
            return
        now = loop.time()
        for waiter, deadline in list(self._deadlines.items()):
            if deadline <= now and not waiter.done():
                waiter.set_exception(TimeoutError())
        if self._room():
            self.wake(None)
        pending = [d for w, d in self._deadlines.items() if not w.done()]
        self._arm(loop, min([now + RECHECK, *pending]))

    def out(self, waiter: asyncio.Future[Any]) -> None:
        """``waiter``'s task runs again: out of the line. The listener and the timer go with
        the last task."""
        try:
            self.waiting.remove(waiter)
        except ValueError:
            pass
        self._deadlines.pop(waiter, None)
        if not self.waiting:
            self._quiet()

    def _quiet(self) -> None:
        if self._listening:
            self._listening = False
            event.remove(self._engine.sync_engine, "checkin", self._checked_in)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

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
                if waiter.get_loop().is_closed():
                    continue  # left by a loop closed meanwhile: ``settle()`` drops it
                waiter.set_result(given)
                return True
        return False

    def fail(self, error: Callable[[], BaseException]) -> None:
        """Every waiting task raises an ``error()`` of its own (the database was closed)."""
        for waiter in self.waiting:
            if not waiter.done() and not waiter.get_loop().is_closed():
                waiter.set_exception(error())

    def _checked_in(self, dbapi_connection: Any, record: Any) -> None:
        if self.waiting:
            self.wake(None)
