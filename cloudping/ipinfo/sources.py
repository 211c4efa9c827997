"""The provider interface: a source on this machine, or one reached over the network.

A new source is one small class: a ``name`` and ``find`` (local: a file, the DN42 registry,
the BGP table) or ``fetch`` (remote: an HTTP API). The router (:mod:`cloudping.ipinfo.router`)
decides which to ask and merges their answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cloudping.ipinfo.facts import Facts
from cloudping.special import Address


@dataclass(frozen=True, slots=True)
class Failure:
    """A provider that could not answer: an expected failure, shown beside the others' answers.

    Attributes:
        code: ``bad_key`` (401/403), ``quota_exceeded`` (429), ``upstream_error`` (5xx, a
            body that is not an answer), ``unreachable`` (connection, timeout).
    """

    code: str
    message: str


class LocalSource(Protocol):
    """Data on this machine: answers at once, so it may annotate every hop of a path."""

    @property
    def name(self) -> str:
        """The provider name ``--provider`` selects (``geoip-city``, ``dn42``, ``bgp``)."""
        ...

    @property
    def generation(self) -> int:
        """A number that changes whenever the data does (a file reloaded, a table swapped):
        what was remembered from an older generation is stale."""
        ...

    def find(self, ip: Address) -> Facts | None:
        """What the data says of ``ip``; ``None`` when it does not hold the address."""
        ...


class RemoteSource(Protocol):
    """A provider over the network (its key stays on the hub): asked only for ``ipinfo``."""

    @property
    def name(self) -> str:
        """The provider name (``ipinfo``, ``ip2location``, ``ipregistry``)."""
        ...

    async def fetch(self, ip: Address) -> Facts | Failure:
        """What the provider says of ``ip`` (:data:`~cloudping.ipinfo.facts.NOTHING` when it
        knows nothing), or why it could not say."""
        ...
