"""The ``ipinfo`` command's answer: one report per address (names resolved first), as text
for people and ``{"results": [...]}`` for programs."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from cloudping.commands import IpinfoCommand
from cloudping.commands.answer import Answer
from cloudping.errors import CloudpingError
from cloudping.ipinfo.report import IpReport
from cloudping.ipinfo.router import Ipinfo, address_of
from cloudping.special import Address

RESOLVE_TIMEOUT_S = 5.0


async def ipinfo_answer(ipinfo: Ipinfo, command: IpinfoCommand) -> Answer:
    """The reports for every address of ``command``, in order (a name: each of its addresses).

    Raises:
        CloudpingError: ``resolve_failed`` for a name with no address, ``unknown_provider``.
    """
    only = command.providers
    reports: list[IpReport] = []
    for word in command.addresses:
        literal = address_of(word)
        if literal is not None:
            reports.append(await ipinfo.report(literal, only))
            continue
        for ip in await resolve(word):
            reports.append(await ipinfo.report(ip, only, name=word))
    text = "\n".join(report.line() for report in reports)
    return Answer("ipinfo", text, {"results": [report.to_json() for report in reports]})


async def resolve(name: str) -> tuple[Address, ...]:
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
