"""The DNS look-ups sender checks need (DKIM keys, DMARC policies, SPF), from ``--mail-dns``
or the system's resolver. For DKIM and DMARC a server that does not answer is "no record":
the signature it would have verified fails. SPF tells "none" from "try later"
(:class:`~.spf.SpfTempError`)."""

from __future__ import annotations

from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver

from cloudping.channels.email.spf import SpfTempError
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

    async def txt_records(self, name: str) -> list[bytes]:
        """Every TXT record at ``name``, each one's strings joined (for SPF)."""
        return [b"".join(r.strings) for r in await self._records(name, "TXT")]

    async def addresses(self, name: str, version: int) -> list[str]:
        """The A (``version`` 4) or AAAA records of ``name``."""
        return [r.address for r in await self._records(name, "A" if version == 4 else "AAAA")]

    async def mx_hosts(self, name: str) -> list[str]:
        """The exchanges of ``name``'s MX records."""
        return [r.exchange.to_text() for r in await self._records(name, "MX")]

    async def _records(self, name: str, rdtype: str) -> list[Any]:
        try:
            return list(await self._resolver.resolve(name, rdtype))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, OSError) as exc:
            raise SpfTempError(f"{name} {rdtype}: {exc}") from exc
