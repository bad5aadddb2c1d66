"""The one way aksara runs blocking work (Pillow, local disk, sync fsspec) off the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func(*args, **kwargs)`` in a worker thread and await its result."""
    return await asyncio.to_thread(functools.partial(func, *args, **kwargs))
