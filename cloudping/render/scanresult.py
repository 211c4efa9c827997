"""What a scan found, folded from its events: the input of the scan renderers.

A channel that refreshes a picture while a scan runs folds the events it has so far. The sweep
probes in address order on its first pass, so "probed so far" is a count: offsets below it were
probed. It comes from the summary when there is one, or from the caller (who may know more),
or else from the highest address that has answered.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cloudping.events import Event, StartEvent
from cloudping.events.model import ScanEvent, ScanSummaryEvent
from cloudping.events.ranges import Network

_ScanEvents = (ScanEvent, ScanSummaryEvent)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """One agent's sweep of one prefix: who answered (and how fast), who was unreachable."""

    network: Network
    agent: str = ""
    alive: Mapping[int, float | None] = field(default_factory=dict)
    unreachable: frozenset[int] = frozenset()
    probed: int = 0

    @property
    def total(self) -> int:
        return self.network.num_addresses

    @classmethod
    def from_events(cls, events: Iterable[Event], *, probed: int | None = None) -> ScanResult:
        """Fold the events of the first scan job in ``events`` (others are ignored).

        Raises:
            ValueError: there is no scan in ``events``.
        """
        job: tuple[str | None, str | None] | None = None
        alive: dict[int, float | None] = {}
        unreachable: set[int] = set()
        summary: ScanSummaryEvent | None = None
        network: Network | None = None
        for event in events:
            if not _is_scan(event) or (job is not None and (event.agent, event.target) != job):
                continue
            job = (event.agent, event.target)
            network = network or ipaddress.ip_network(str(event.target))
            if isinstance(event, ScanSummaryEvent):
                summary = event
            elif isinstance(event, ScanEvent):
                _fold(event, network, alive, unreachable)
        if network is None or job is None:
            raise ValueError("no scan in these events")
        seen = max([*alive, *unreachable], default=-1) + 1
        count = probed if probed is not None else summary.probed if summary else seen
        return cls(network, job[0] or "", alive, frozenset(unreachable), count)


def _is_scan(event: Event) -> bool:
    if isinstance(event, StartEvent):
        return event.probe == "scan"
    return isinstance(event, _ScanEvents)


def _fold(
    event: ScanEvent, network: Network, alive: dict[int, float | None], unreachable: set[int]
) -> None:
    offset = int(ipaddress.ip_address(event.address)) - int(network.network_address)
    if event.state == "alive":
        alive[offset] = event.rtt_ms
        unreachable.discard(offset)
    elif event.state == "unreachable" and offset not in alive:
        unreachable.add(offset)  # a `failed` one was never probed: drawn as such
