"""Client addresses as limits count them: one IPv4 address, or one IPv6 /64 (what one
subscriber usually gets, so that its 2^64 addresses count as one)."""

from __future__ import annotations

import ipaddress

IPV6_PREFIX = 64


def network_of(address: str | None) -> str:
    """The key under which `address`'s requests are counted ("unknown" when there is none)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)
