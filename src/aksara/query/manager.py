"""``Model.objects``: the entry point to queries. Subclass it and override ``get_queryset()``.

Every public ``QuerySet`` method is a ``Manager`` method too, made from the queryset's own
(as Django's ``BaseManager._get_queryset_methods`` does), so the two cannot drift apart:
``Post.objects.filter(...)`` is ``Post.objects.get_queryset().filter(...)``.

A manager that keeps ``Manager.get_queryset()`` starts every method from one queryset made
once per model, rather than a new one per call: a queryset is never changed after it is
made (each method that refines it returns a new one), so sharing it is safe, and it saves
building one per ``Post.objects.filter(...)``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

from aksara.query.queryset import QuerySet, sync_misuse

if TYPE_CHECKING:
    from aksara.models.base import Model

M = TypeVar("M", bound="Model")

if TYPE_CHECKING:
    # Type checkers see every QuerySet method on a manager, with its exact signature; at
    # run time the methods are the proxies made below.
    _Proxies = QuerySet
else:

    class _Proxies(Generic[M]):
        pass


class Manager(_Proxies[M]):
    """``Post.objects``: every QuerySet method, starting from ``get_queryset()``."""

    #: The queryset ``_start()`` made, for the model it was made for.
    _start_queryset: QuerySet[Any] | None = None

    def __init__(self, model: type[M] | None = None) -> None:
        self.model = cast("type[M]", model)  # None until __set_name__() gives the model

    def _start(self) -> QuerySet[M]:
        """What ``get_queryset()`` returns, made once (see the module's docstring)."""
        qs = self._start_queryset
        if qs is None or qs.model is not self.model:
            qs = self._start_queryset = QuerySet(self.model)
        return qs

    def __get__(self, instance: Any, owner: type[Any]) -> Self:
        if instance is not None:
            raise AttributeError(
                f"{owner.__name__}.objects is reachable from the class, not instances"
            )
        return self

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.model = owner

    def get_queryset(self) -> QuerySet[M]:
        """The queryset every method starts from; override it to change what the manager sees."""
        return QuerySet(self.model)

    def all(self) -> QuerySet[M]:
        """``get_queryset()`` itself: a related manager's prefetched objects stay with it."""
        return self.get_queryset()

    def __repr__(self) -> str:
        return f"<Manager for {self.model.__name__}>"

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self.get_queryset().__await__()

    def __aiter__(self) -> AsyncIterator[M]:
        return self.get_queryset().__aiter__()

    def __getitem__(self, item: int | slice) -> Any:
        return self.get_queryset()[item]

    # As on querysets: ``for obj in Post.objects`` must not loop on ``__getitem__``.

    def __iter__(self) -> Iterator[M]:
        raise TypeError(
            sync_misuse(
                "iterated", "`async for obj in Model.objects`, or `await Model.objects.all()`"
            )
        )

    def __len__(self) -> int:
        raise TypeError(sync_misuse("measured with len()", "`await Model.objects.count()`"))

    def __bool__(self) -> bool:
        return True  # a manager is always there (``Model.objects or ...``)

    def __contains__(self, item: object) -> bool:
        raise TypeError(sync_misuse("searched with `in`", "`await qs.filter(pk=obj.pk).exists()`"))


def queryset_methods() -> dict[str, Callable[..., Any]]:
    """The public methods of ``QuerySet``, by name."""
    return {
        name: member
        for name, member in inspect.getmembers(QuerySet, inspect.isfunction)
        if not name.startswith("_")
    }


def _proxy(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    # A plain function that returns what the queryset's method returns (a coroutine for the
    # async ones): awaiting ``Post.objects.get(...)`` awaits the queryset's own coroutine.
    def proxy(self: Manager[Any], *args: Any, **kwargs: Any) -> Any:
        # Manager's own get_queryset(), not replaced on the class or the instance (asked on
        # every call, as a patched one may come and go): a plain QuerySet's method directly.
        if type(self).get_queryset is _GET_QUERYSET and "get_queryset" not in self.__dict__:
            return method(self._start(), *args, **kwargs)
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    functools.update_wrapper(proxy, method)
    proxy.__qualname__ = f"Manager.{name}"
    return proxy


_GET_QUERYSET = vars(Manager)["get_queryset"]

for _name, _method in queryset_methods().items():
    if _name not in Manager.__dict__:
        setattr(Manager, _name, _proxy(_name, _method))


class AllObjectsManager(Manager[M]):
    """``Model.all_objects`` of a model with ``Meta.soft_delete``: soft-deleted rows too."""

    def get_queryset(self) -> QuerySet[M]:
        return QuerySet(self.model).with_deleted()
