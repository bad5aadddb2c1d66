"""IPAddress (both, ipv4, ipv6, unpack_ipv4): an accepted address is stored in canonical form."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aksara.types import format_ip
from tests.properties.models import PpIPAddress
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

v4 = st.ip_addresses(v=4)
v6 = st.ip_addresses(v=6)
mapped = v4.map(lambda a: ipaddress.IPv6Address(f"::ffff:{a}"))
# Scoped IPv6 addresses (fe80::1%eth0) are covered by test_edge_cases.py.
ip_inputs = st.one_of(
    v4,
    v6,
    mapped,
    st.one_of(v4, v6, mapped).map(str),
    v6.map(lambda a: a.exploded.upper()),
    v4.map(lambda a: f" {a} "),
    st.sampled_from(
        [
            "0.0.0.0",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:0.0.0.0",
            "::1.2.3.4",
            "10.0.0.0/8",
            "2001:db8::/32",
            "256.1.1.1",
            "1.2.3",
            "01.2.3.4",
            "localhost",
            "",
        ]
    ),
    st.ip_addresses().map(int),
    st.text(max_size=8),
    other_types,
)

PROTOCOLS = {
    "any_ip": (ipaddress.IPv4Address, ipaddress.IPv6Address),
    "ipv4": (ipaddress.IPv4Address,),
    "ipv6": (ipaddress.IPv6Address,),
    "unpacked": (ipaddress.IPv4Address, ipaddress.IPv6Address),
}


@pytest.mark.parametrize("name", list(PROTOCOLS))
@PROPERTY_SETTINGS
@given(value=ip_inputs)
async def test_ip_address_round_trips_or_writes_nothing(db, name, value):
    cleaned = await check_round_trip(PpIPAddress, name, value)
    if cleaned is REJECTED or value is None:
        return
    address = ipaddress.ip_address(value.strip() if isinstance(value, str) else value)
    if name == "unpacked" and isinstance(address, ipaddress.IPv6Address):
        address = address.ipv4_mapped or address
    assert isinstance(address, PROTOCOLS[name])
    assert cleaned == format_ip(address)
