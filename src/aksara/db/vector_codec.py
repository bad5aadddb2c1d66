"""pgvector's binary format on asyncpg connections, for ``vector`` parameters.

A ``Vector`` parameter is compiled as ``CAST($1 AS VECTOR(n))``. asyncpg has no codec of
its own for pgvector's type, so without this one it would exchange the parameter as text
(every number formatted on the client and parsed on the server) and, sent as a ``real[]``
instead, it checks each element against ``collections.abc`` classes: about 40 µs for 384
dimensions. The binary codec packs the whole vector with one ``struct`` call (or numpy's
``tobytes``).

Once a vector type exists (``aksara.types.VectorType``: a model's vector column, say),
each new connection gets the codec as it opens (``on_connect``: two short statements).
Without it, the first vector parameter of a connection makes asyncpg run its type
introspection query (about 12 ms, see ``aksara.db.builtin_types``) and then refuse the
list before sending anything (``expected str, got list``); ``register()`` then installs
the codec and the statement runs again. That second path remains for a connection that
lacks the codec: one opened before ``CREATE EXTENSION vector``, or holding a codec that
points at a dropped extension's type. A program without vector columns does neither.

Reads are unaffected: aksara selects vector columns as text (``VectorType.column_expression``),
which is parsed into the shortest decimals of each float32. A hand-written query that
selects a vector column on a connection with the codec gets the same list of floats.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from contextlib import suppress
from functools import lru_cache
from typing import Any, cast

import asyncpg
from sqlalchemy.util import await_

from aksara.db import builtin_types
from aksara.types import VectorType, float32_list

_HEADER = struct.Struct(">HH")

#: Finds pgvector's type as the statements name it (through the search path).
_SCHEMA_SQL = (
    "SELECT n.nspname FROM pg_catalog.pg_type t "
    "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
    "WHERE t.oid = pg_catalog.to_regtype('vector')"
)


@lru_cache(maxsize=64)
def _packer(dimensions: int) -> struct.Struct:
    return struct.Struct(f">HH{dimensions}f")


def encode(value: Any) -> bytes:
    """pgvector's binary input: dimensions (int16), an unused int16, then big-endian float32s."""
    if isinstance(value, (list, tuple)):
        items = cast("Sequence[Any]", value)
        return _packer(len(items)).pack(len(items), 0, *items)
    if isinstance(value, str):  # "[1,2,3]": hand-written SQL that sent text before the codec
        numbers = [float(n) for n in value.strip().strip("[]").split(",") if n.strip()]
        return encode(numbers)
    if type(value).__module__ == "numpy":
        import numpy as np

        array = np.asarray(value, dtype=">f4")
        if array.ndim != 1:
            raise ValueError(f"expected a 1-dimensional array, got {array.ndim} dimensions")
        return _HEADER.pack(array.shape[0], 0) + array.tobytes()
    to_list = getattr(value, "to_list", None)  # pgvector.Vector
    if to_list is not None:
        return encode(to_list())
    return encode(list(value))


def decode(data: bytes) -> list[float]:
    """The vector as aksara reads it from text: the shortest decimal of each float32."""
    dimensions, _ = _HEADER.unpack_from(data)
    return float32_list(list(struct.unpack_from(f">{dimensions}f", data, _HEADER.size)))


def wants_codec(error: BaseException) -> bool:
    """True for asyncpg refusing a non-text value for a type it exchanges as text: a vector
    parameter on a connection without the codec (nothing was sent)."""
    cause = error.__cause__
    return (
        isinstance(error, asyncpg.DataError)
        and isinstance(cause, TypeError)
        and str(cause).startswith("expected str, got")
    )


def on_connect(dbapi_connection: Any, record: Any) -> None:
    """The engine's ``connect`` event (run in SQLAlchemy's greenlet, which ``await_`` needs):
    the codec, once a vector type exists. Anything that goes wrong leaves the connection as
    it was: its first vector parameter installs the codec."""
    if VectorType.in_use:
        with suppress(Exception):
            await_(register(dbapi_connection.driver_connection))


async def register(conn: asyncpg.Connection) -> bool:
    """Install the binary codec for pgvector's ``vector`` on ``conn``; False when the database
    has no such type (the error that led here is then the one to raise)."""
    schema = await conn.fetchval(_SCHEMA_SQL)
    if schema is None:
        return False
    await conn.set_type_codec(
        "vector", schema=schema, encoder=encode, decoder=decode, format="binary"
    )
    builtin_types.register(conn)  # setting a codec dropped the ones asyncpg had derived
    return True


async def rerun(
    raw: asyncpg.Connection,
    error: BaseException,
    method: str,
    sql: str,
    args: Sequence[Any],
    seconds: float | None,
) -> Any:
    """Run a statement again after asyncpg refused a vector parameter for want of the codec
    (before sending anything), with the statement timeout ``seconds``. Raises ``error``
    when the database has no ``vector`` type."""
    if not await register(raw):
        raise error
    if seconds is None:
        return await getattr(raw, method)(sql, *args)
    return await getattr(raw, method)(sql, *args, timeout=seconds)
