"""dns: ask a server about names, over UDP, TCP, DoT or DoH, and report every answer as data.

One ``dns`` event per name x server. NXDOMAIN and SERVFAIL are answers (``rcode``); a
timeout, a refused connection or a failed certificate check is an event with ``error``. A UDP
answer with TC set is asked again over TCP (RFC 1035 4.2.1, RFC 7766 5) and reported with
``truncated``. Queries to one server share one connection, asked in the order the names were
given, so only the first pays (and reports) the connection setup. ``--trace`` is
:mod:`dns_trace`.
"""

from __future__ import annotations

import asyncio

from cloudping.commands import DnsCommand
from cloudping.errors import CloudpingError
from cloudping.events import DnsEvent, Emit, ErrorEvent
from cloudping.probes.dns import trace as dns_trace
from cloudping.probes.dns.ask import Asker, server_address
from cloudping.probes.dns.query import question
from cloudping.probes.dns.server import Server, server_for
from cloudping.probes.dns.tls import tls_context
from cloudping.probes.dns.transport import open_connection
from cloudping.probes.env import ProbeEnv


async def run(cmd: DnsCommand, env: ProbeEnv, emit: Emit) -> list[DnsEvent]:
    """Ask every name of ``cmd``; emits and returns one ``dns`` event per name x server.

    A server that does not resolve or that the policy refuses gives an ``error`` event per
    name instead.

    Raises:
        ProbeEnvironmentError: no ``--server`` and no nameserver in /etc/resolv.conf.
        UsageError: OpenSSL cannot load ``ca_pem``.
    """
    if cmd.trace:
        return await dns_trace.run(cmd, env, emit)
    # In a thread: without --server it reads /etc/resolv.conf, and the loop may be a hub's.
    servers = [await asyncio.to_thread(server_for, cmd)]
    if cmd.ca_pem is not None and cmd.transport in ("dot", "doh"):
        tls_context(cmd.ca_pem, [])  # certificates OpenSSL cannot load are bad input, said once
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(ask_server(cmd, server, env, emit)) for server in servers]
    return [event for task in tasks for event in task.result()]


async def ask_server(cmd: DnsCommand, server: Server, env: ProbeEnv, emit: Emit) -> list[DnsEvent]:
    """Ask ``server`` every name of ``cmd`` in turn, over one connection."""
    try:
        address = await server_address(server, env)
    except CloudpingError as exc:
        for name in cmd.names:
            emit(ErrorEvent.of(exc, agent=env.agent, target=name))
        return []
    asker = Asker(server, address, cmd.ca_pem, open_connection(server, address, cmd.ca_pem))
    found: list[DnsEvent] = []
    try:
        for name in cmd.names:
            event = await _ask_name(asker, cmd, name, env, emit)
            if event is not None:
                found.append(event)
    finally:
        await asker.connection.aclose()
    return found


async def _ask_name(
    asker: Asker, cmd: DnsCommand, name: str, env: ProbeEnv, emit: Emit
) -> DnsEvent | None:
    try:
        q = question(name, cmd.type, dnssec=cmd.dnssec)
    except CloudpingError as exc:
        emit(ErrorEvent.of(exc, agent=env.agent, target=name))
        return None
    event = await asker.ask(q, agent=env.agent, target=name)
    emit(event)
    return event
