"""Address arithmetic of a sweep, pure: offsets in a prefix, and runs of them as ranges (the
notation of `alive_ranges`, shared by the scan probe and the renderers)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from cloudping.special import Network

# Network is part of this module's words: the scan's readers take it from here.
__all__ = ["Network", "address_at", "compress", "offset_of", "runs"]


def address_at(network: Network, offset: int) -> str:
    """The text form of the address ``offset`` places after the start of ``network``.

    Through ``inet_ntop``: about four times cheaper than ``ipaddress``, which matters at
    10 000 addresses a second.
    """
    value = int(network.network_address) + offset
    if network.version == 4:
        return socket.inet_ntop(socket.AF_INET, value.to_bytes(4, "big"))
    return socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))


def offset_of(network: Network, address: str) -> int | None:
    """Where ``address`` sits in ``network``, or ``None`` when it is not inside it."""
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return None
    if ip.version != network.version or ip not in network:
        return None
    return int(ip) - int(network.network_address)


def runs(offsets: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, merged runs ``(first, last)`` of consecutive offsets (duplicates ignored)."""
    merged: list[tuple[int, int]] = []
    for value in sorted(set(offsets)):
        if merged and value == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], value)
        else:
            merged.append((value, value))
    return merged


def compress(network: Network, offsets: Iterable[int]) -> tuple[str, ...]:
    """Offsets as address ranges: ``"198.18.3.10-198.18.3.19"``, or one address alone."""
    return tuple(
        address_at(network, first)
        if first == last
        else f"{address_at(network, first)}-{address_at(network, last)}"
        for first, last in runs(offsets)
    )
