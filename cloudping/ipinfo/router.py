"""The ``auto`` router: which sources answer for an address, and the merged view.

- DN42 and NeoNetwork space, and the other special ranges, are answered by the local sources
  only (a DN42 registry, an MMDB file that covers the range, the BGP table): no public
  provider knows them, and asking would leak private addresses;
- every other address: the local sources, then the remote providers in the configured order.

The merged view takes each field from the first answer that has it, local sources first, in
the order they were configured (the BGP table, on a hub, is put first, so its origin AS
wins over a database's). Per-hop annotation (:meth:`Ipinfo.local`) asks local sources only,
through a small memo, so annotating a path costs microseconds.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import OrderedDict
from collections.abc import Collection, Sequence

from cloudping.errors import CloudpingError
from cloudping.ipinfo.cache import Kind, LookupCache
from cloudping.ipinfo.facts import NOTHING, Facts, merged
from cloudping.ipinfo.ranges import special_name
from cloudping.ipinfo.report import IpReport, ProviderAnswer
from cloudping.ipinfo.resolver import Resolve, system_resolve
from cloudping.ipinfo.sources import Failure, LocalSource, RemoteSource
from cloudping.special import Address

_MEMO_SIZE = 4096


class Ipinfo:
    """The providers of one process (hub, CLI), one cache for the remote ones.

    Args:
        local: sources on this machine, in the order their answers count.
        remote: providers over the network, in that order.
    """

    def __init__(
        self,
        local: Sequence[LocalSource] = (),
        remote: Sequence[RemoteSource] = (),
        cache: LookupCache[tuple[str, Address], Facts | Failure] | None = None,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.local_sources = tuple(local)
        self.resolve = resolve  # names asked about (tests pass one that sends no packet)
        self.remote_sources = tuple(remote)
        self.cache = cache or LookupCache(_kind)
        self._memo: OrderedDict[str, tuple[tuple[int, ...], Facts]] = OrderedDict()

    @property
    def names(self) -> tuple[str, ...]:
        """Every provider's name, local ones first."""
        local = tuple(source.name for source in self.local_sources)
        return local + tuple(source.name for source in self.remote_sources)

    def local(self, ip: Address | str) -> Facts:
        """What the local sources say of ``ip`` (an address, or one as text as events carry
        it), merged: for every hop of a path. Remembered by its text until a source's data
        changes, so a hop seen before costs one dictionary probe."""
        key = ip if isinstance(ip, str) else str(ip)
        stamp = tuple([source.generation for source in self.local_sources])
        kept = self._memo.get(key)
        if kept is not None and kept[0] == stamp:
            self._memo.move_to_end(key)
            return kept[1]
        facts = self._read(ip)
        self._memo[key] = (stamp, facts)
        if len(self._memo) > _MEMO_SIZE:
            self._memo.popitem(last=False)
        return facts

    def _read(self, ip: Address | str) -> Facts:
        address = address_of(ip.split("%")[0]) if isinstance(ip, str) else ip
        if address is None:  # not an address (an agent's odd word): nothing to say of it
            return NOTHING
        found = [f for s in self.local_sources if (f := s.find(address)) is not None]
        return merged(found) if found else NOTHING

    async def report(
        self, ip: Address, only: Collection[str] = (), name: str | None = None
    ) -> IpReport:
        """Everything the chosen providers (all, when ``only`` is empty) say of ``ip``.

        Raises:
            CloudpingError: ``unknown_provider`` when ``only`` names one not configured.
        """
        self._check(only)
        special = special_name(ip)
        answers = [
            ProviderAnswer(s.name, facts)
            for s in self.local_sources
            if (not only or s.name in only) and (facts := s.find(ip)) is not None
        ]
        if special is None:
            remote = [s for s in self.remote_sources if not only or s.name in only]
            answers += await asyncio.gather(*(self._ask(s, ip) for s in remote))
        view = merged([a.facts for a in answers if a.error is None])
        return IpReport(str(ip), view, special, tuple(answers), name)

    def _check(self, only: Collection[str]) -> None:
        unknown = sorted(set(only) - set(self.names))
        if unknown:
            known = ", ".join(self.names) or "none"
            message = f"no provider {unknown[0]!r} on this hub (providers: {known})"
            raise CloudpingError(message, code="unknown_provider", provider=unknown[0])

    async def _ask(self, source: RemoteSource, ip: Address) -> ProviderAnswer:
        said = await self.cache.get((source.name, ip), lambda: source.fetch(ip))
        if isinstance(said, Failure):
            return ProviderAnswer(source.name, error=said)
        return ProviderAnswer(source.name, said)


def _kind(said: Facts | Failure) -> Kind:
    if isinstance(said, Failure):
        return "failed"
    return "empty" if said.empty else "found"


def address_of(text: str) -> Address | None:
    """``text`` as an address, or ``None`` when it is a name."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
