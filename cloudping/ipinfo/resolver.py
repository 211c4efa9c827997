"""Names asked about, resolved on the hub (or the CLI's machine) by the system's resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable

from cloudping.errors import CloudpingError
from cloudping.special import Address

RESOLVE_TIMEOUT_S = 5.0
Resolve = Callable[[str], Awaitable[tuple[Address, ...]]]


async def system_resolve(name: str) -> tuple[Address, ...]:
    """The addresses of ``name`` (A and AAAA, in the resolver's order, each once).

    Raises:
        CloudpingError: ``resolve_failed``.
    """
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_S):
            infos = await loop.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        message = f"{name} did not resolve: {exc or 'timed out'}"
        raise CloudpingError(message, code="resolve_failed", target=name) from exc
    found = dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
    return tuple(found)
