"""Lookups of ``IPAddress`` fields: text lookups compare the address text
(``server_ip__startswith="10."``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from aksara.fields.special import IPAddress
from aksara.query.lookups.base import TEXT_LOOKUPS, Lookup, OnText


def host_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    # host(inet) is the address without the "/32" that a cast to text adds.
    return sa.func.host(column, type_=sa.Text())


IP_LOOKUPS: dict[str, Lookup] = {lookup.name: OnText(lookup, host_text) for lookup in TEXT_LOOKUPS}

for _lookup in IP_LOOKUPS.values():
    IPAddress.register_lookup(_lookup)
