"""One question to one server at a checked address, as a ``dns`` event: the answer or why not.

Shared by the plain probe (:mod:`dns`) and the trace (:mod:`dns_trace`). A UDP answer with TC
set is asked again over TCP (RFC 1035 4.2.1, RFC 7766 5) and reported with ``truncated``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import dns.flags
import dns.message

from cloudping.events import DnsEvent
from cloudping.probes.dns.errors import QUERY_FAILURES, certificate_failure, describe
from cloudping.probes.dns.query import Question, answer_fields, make_query
from cloudping.probes.dns.server import Server, with_transport
from cloudping.probes.dns.tls import certificate_error, presented_names
from cloudping.probes.dns.transport import DnsConnection, Exchange, open_connection
from cloudping.probes.env import ProbeEnv, resolve

QUERY_TIMEOUT = 5.0  # dig's +time: connection setup and query together
NAMES_TIMEOUT = 2.0  # the diagnostic handshake that reads a mismatched certificate's names


async def server_address(server: Server, env: ProbeEnv) -> str:
    """The address to contact for ``server``, resolved and allowed by the target policy.

    Raises:
        ResolveError: the server's name does not resolve.
        PolicyDeniedError: the policy refuses the address.
    """
    address = server.host if server.is_address else (await resolve(server.host, None)).address
    env.check_target(address, what="DNS server")
    return address


@dataclass
class Asker:
    """Asks one server (at its checked address) over one connection; results become events."""

    server: Server
    address: str
    ca_pem: str | None
    connection: DnsConnection
    timeout: float = QUERY_TIMEOUT

    async def ask(
        self, q: Question, *, agent: str, target: str, step: int | None = None
    ) -> DnsEvent:
        """The ``dns`` event of one question: its answer, or why there is none."""
        base = self._base(q, agent=agent, target=target, step=step)
        encrypted = self.server.transport in ("dot", "doh")
        query = make_query(q, encrypted=encrypted, doh=self.server.transport == "doh")
        try:
            exchange = await self._exchange(self.connection, query)
            if exchange.response.flags & dns.flags.TC and self.server.transport == "udp":
                return await self._retry_over_tcp(query, base)
        except QUERY_FAILURES as exc:
            return DnsEvent(**base, error=await self.failure(exc))
        return _answered(base, exchange)

    def _base(self, q: Question, *, agent: str, target: str, step: int | None) -> dict[str, Any]:
        return {
            "agent": agent,
            "target": target,
            "server": self.server.label,
            "address": self.address,
            "transport": self.server.transport,
            "qtype": q.qtype,
            "qname": q.qname,
            "step": step,
        }

    async def _exchange(self, connection: DnsConnection, query: dns.message.Message) -> Exchange:
        async with asyncio.timeout(self.timeout):
            return await connection.exchange(query, self.timeout)

    async def _retry_over_tcp(self, query: dns.message.Message, base: dict[str, Any]) -> DnsEvent:
        """RFC 7766 5: a truncated UDP answer is asked again over TCP."""
        tcp = open_connection(with_transport(self.server, "tcp"), self.address, None)
        retried = {**base, "transport": "tcp", "truncated": True}
        try:
            exchange = await self._exchange(tcp, query)
        except QUERY_FAILURES as exc:
            return DnsEvent(
                **retried, error=f"truncated over UDP; over TCP: {describe(exc, self.timeout)}"
            )
        finally:
            await tcp.aclose()
        return _answered(retried, exchange)

    async def failure(self, exc: BaseException) -> str:
        """Why a query failed, in words; a certificate for other names says which."""
        cert = certificate_failure(exc)
        if cert is None:
            return describe(exc, self.timeout)
        expected = self.server.tls_name or self.address
        names = await presented_names(
            self.address, self.server.port, self.ca_pem, self.server.tls_name, NAMES_TIMEOUT
        )
        return certificate_error(cert, expected, names)


def _answered(base: dict[str, Any], exchange: Exchange) -> DnsEvent:
    return DnsEvent(
        **base,
        **answer_fields(exchange.response),
        connect_ms=exchange.connect_ms,
        query_ms=exchange.query_ms,
    )
