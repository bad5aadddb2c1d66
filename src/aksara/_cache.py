"""``LRUCache``: a bounded mapping that forgets what was used least recently.

Every per-model cache (compiled statements by query shape, generated functions, resolved
filter keys) is one, so that an application building ever new query shapes keeps the
ones it uses and memory stays bounded.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Any, Generic, TypeVar

V = TypeVar("V")

_MISSING = object()


class LRUCache(Generic[V]):
    """At most ``maxsize`` entries; a hit makes an entry the most recently used."""

    __slots__ = ("_data", "maxsize")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("LRUCache needs a maxsize of at least 1")
        self._data: OrderedDict[Hashable, V] = OrderedDict()
        self.maxsize = maxsize

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """The entry for ``key``, made with ``build()`` and kept on a miss."""
        data = self._data
        value = data.get(key, _MISSING)
        if value is _MISSING:
            return self.put(key, build())
        data.move_to_end(key)
        return value  # type: ignore[return-value]

    def lookup(self, key: Hashable, default: Any = None) -> Any:
        """The entry for ``key``, or ``default`` on a miss."""
        data = self._data
        value = data.get(key, _MISSING)
        if value is _MISSING:
            return default
        data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> V:
        data = self._data
        data[key] = value
        if len(data) > self.maxsize:
            data.popitem(last=False)
        return value

    def clear(self) -> None:
        self._data.clear()

    def __contains__(self, key: Hashable) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._data)

    def __repr__(self) -> str:
        return f"<LRUCache {len(self._data)}/{self.maxsize}>"
