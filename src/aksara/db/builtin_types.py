"""PostgreSQL's built-in array, range and multirange types, known to each new connection
without asyncpg's type introspection.

asyncpg ships codecs for PostgreSQL's scalar types only (and for ``oid[]`` and ``text[]``,
which its introspection query needs). The first statement of a connection that sends or
reads any other array (``= ANY($1)`` of a prefetch or an ``__in`` lookup, ``unnest()`` of a
bulk insert, an ``ArrayField``, the rows of a folded prefetch), a range or a multirange
makes it run that query first: a prepared recursive query over ``pg_type`` and, where the
server has JIT, two more statements around it, about 12 ms on a local server, on every new
connection and for each new type (asyncpg's issue #1272). These types are part of
PostgreSQL's catalog with fixed OIDs, so aksara gives each new connection their
descriptions as that query returns them (``TYPES``), which asyncpg builds the same codecs
from, with no round trip (``register``, about 0.2 ms a connection).

This uses asyncpg's ``Connection._protocol.get_settings().register_data_types()``, which
asyncpg does not document: ``tests/db/test_builtin_types.py`` fails by name on an asyncpg
release that changes it, and checks ``TYPES`` against the server's catalog. Where it fails
at run time the connection introspects as before: slower, never wrong.
"""

from __future__ import annotations

from typing import Any

import asyncpg

#: ``(oid, name, kind, element oid, range subtype oid)`` of each type, in the order
#: asyncpg needs them: a range before its multirange and before an array of it. Every
#: element and subtype is one asyncpg has a codec for (or, for ``record[]``, builds one).
_CATALOG: tuple[tuple[int, str, bytes, int, int], ...] = (
    (3904, "int4range", b"r", 0, 23),
    (3906, "numrange", b"r", 0, 1700),
    (3908, "tsrange", b"r", 0, 1114),
    (3910, "tstzrange", b"r", 0, 1184),
    (3912, "daterange", b"r", 0, 1082),
    (3926, "int8range", b"r", 0, 20),
    (4451, "int4multirange", b"m", 0, 23),
    (4532, "nummultirange", b"m", 0, 1700),
    (4533, "tsmultirange", b"m", 0, 1114),
    (4534, "tstzmultirange", b"m", 0, 1184),
    (4535, "datemultirange", b"m", 0, 1082),
    (4536, "int8multirange", b"m", 0, 20),
    (143, "_xml", b"b", 142, 0),
    (199, "_json", b"b", 114, 0),
    (629, "_line", b"b", 628, 0),
    (651, "_cidr", b"b", 650, 0),
    (719, "_circle", b"b", 718, 0),
    (775, "_macaddr8", b"b", 774, 0),
    (791, "_money", b"b", 790, 0),
    (1000, "_bool", b"b", 16, 0),
    (1001, "_bytea", b"b", 17, 0),
    (1002, "_char", b"b", 18, 0),
    (1003, "_name", b"b", 19, 0),
    (1005, "_int2", b"b", 21, 0),
    (1007, "_int4", b"b", 23, 0),
    (1014, "_bpchar", b"b", 1042, 0),
    (1015, "_varchar", b"b", 1043, 0),
    (1016, "_int8", b"b", 20, 0),
    (1017, "_point", b"b", 600, 0),
    (1018, "_lseg", b"b", 601, 0),
    (1019, "_path", b"b", 602, 0),
    (1020, "_box", b"b", 603, 0),
    (1021, "_float4", b"b", 700, 0),
    (1022, "_float8", b"b", 701, 0),
    (1027, "_polygon", b"b", 604, 0),
    (1040, "_macaddr", b"b", 829, 0),
    (1041, "_inet", b"b", 869, 0),
    (1115, "_timestamp", b"b", 1114, 0),
    (1182, "_date", b"b", 1082, 0),
    (1183, "_time", b"b", 1083, 0),
    (1185, "_timestamptz", b"b", 1184, 0),
    (1187, "_interval", b"b", 1186, 0),
    (1231, "_numeric", b"b", 1700, 0),
    (1270, "_timetz", b"b", 1266, 0),
    (1561, "_bit", b"b", 1560, 0),
    (1563, "_varbit", b"b", 1562, 0),
    (2287, "_record", b"p", 2249, 0),
    (2951, "_uuid", b"b", 2950, 0),
    (3643, "_tsvector", b"b", 3614, 0),
    (3645, "_tsquery", b"b", 3615, 0),
    (3807, "_jsonb", b"b", 3802, 0),
    (3905, "_int4range", b"b", 3904, 0),
    (3907, "_numrange", b"b", 3906, 0),
    (3909, "_tsrange", b"b", 3908, 0),
    (3911, "_tstzrange", b"b", 3910, 0),
    (3913, "_daterange", b"b", 3912, 0),
    (3927, "_int8range", b"b", 3926, 0),
    (4073, "_jsonpath", b"b", 4072, 0),
    (6150, "_int4multirange", b"b", 4451, 0),
    (6151, "_nummultirange", b"b", 4532, 0),
    (6152, "_tsmultirange", b"b", 4533, 0),
    (6153, "_tstzmultirange", b"b", 4534, 0),
    (6155, "_datemultirange", b"b", 4535, 0),
    (6157, "_int8multirange", b"b", 4536, 0),
)

#: ``box[]``: the one type whose elements are not separated by commas.
_BOX_ARRAY = 1020


def _description(oid: int, name: str, kind: bytes, elem: int, subtype: int) -> dict[str, Any]:
    """A row of asyncpg's introspection query for a type of the ``pg_catalog`` schema."""
    return {
        "oid": oid,
        "ns": "pg_catalog",
        "name": name,
        "kind": kind,
        "basetype": None,
        "elemtype": elem,
        "elemdelim": (b";" if oid == _BOX_ARRAY else b",") if elem else None,
        "range_subtype": subtype or None,
        "attrtypoids": None,
        "attrnames": None,
        "depth": 0,
        "basetype_name": None,
        "elemtype_name": name[1:] if elem else None,
        "range_subtype_name": None,
    }


#: What asyncpg's introspection query returns for each type of ``_CATALOG``.
TYPES: tuple[dict[str, Any], ...] = tuple(_description(*entry) for entry in _CATALOG)


def register(conn: asyncpg.Connection | None) -> bool:
    """Give ``conn`` the codecs of ``TYPES`` (those it has are kept); False when asyncpg's
    internals are not as expected (the connection then introspects these types)."""
    if conn is None:  # a pool entry whose connection is gone
        return False
    try:
        conn._protocol.get_settings().register_data_types(TYPES)  # type: ignore[attr-defined]
    except Exception:
        return False
    return True


def on_connect(dbapi_connection: Any, record: Any) -> None:
    """The engine's ``connect`` event: after the dialect's own setup (its JSON codecs, whose
    setting clears asyncpg's cache of derived codecs), each new connection learns ``TYPES``."""
    register(dbapi_connection.driver_connection)
