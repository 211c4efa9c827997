"""The DNS look-ups sender checks need: TXT records, from ``--mail-dns`` or the system's
resolver. A name that does not exist, or a server that does not answer, is "no record": the
signature it would have verified fails, it never raises."""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.resolver

from cloudping.commands import split_host_port

LOOKUP_TIMEOUT_S = 3.0


class TxtLookup:
    """Looks up TXT records on one resolver."""

    def __init__(self, server: str | None = None) -> None:
        """``server``: ``ADDR[:PORT]`` (``[v6]:port``) to ask, else the system's resolver."""
        if server is None:
            self._resolver = dns.asyncresolver.Resolver()
        else:
            host, port = split_host_port(server, 53)
            self._resolver = dns.asyncresolver.Resolver(configure=False)
            self._resolver.nameservers = [host]
            self._resolver.port = port
        self._resolver.lifetime = LOOKUP_TIMEOUT_S

    async def txt(self, name: str) -> bytes | None:
        """The first TXT record at ``name``, its strings joined (RFC 6376 section 3.6.2.2),
        or None."""
        try:
            answer = await self._resolver.resolve(name, "TXT")
        except (dns.exception.DNSException, OSError):
            return None
        for record in answer:
            return b"".join(record.strings)
        return None
