"""The ``ipinfo`` command's answer: one report per address (names resolved first), as text
for people and ``{"results": [...]}`` for programs."""

from __future__ import annotations

from cloudping.commands import IpinfoCommand
from cloudping.commands.answer import Answer
from cloudping.ipinfo.report import IpReport
from cloudping.ipinfo.router import Ipinfo, address_of


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
        for ip in await ipinfo.resolve(word):
            reports.append(await ipinfo.report(ip, only, name=word))
    text = "\n".join(report.line() for report in reports)
    return Answer("ipinfo", text, {"results": [report.to_json() for report in reports]})
