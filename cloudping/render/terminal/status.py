"""The progress line a terminal shows under a long run, folded from its events; pure (the
elapsed time is an argument, the caller decides where and whether to draw it).

```
scan 198.18.0.0/20: 1536/4096 probed, 3 alive, 1.6 s, 960/s
mtr: 4/10 done, 4.1 s
```

A scan counts addresses: those probed so far are at least every one up to the highest that
answered (the sweep's first pass goes in address order), all of them once its summary came.
Anything else counts the units of :class:`~cloudping.render.progress.Progress` (a packet of
ping, a round of mtr, a hop of traceroute, a whole dns or http job).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from cloudping.commands import Command
from cloudping.events import Event, ScanEvent, ScanSummaryEvent, StartEvent
from cloudping.render.progress import Progress

# Runs that show the line from the start: the long ones by nature. Others once they last.
ALWAYS = frozenset({"scan", "mtr"})
SHOW_AFTER_S = 3.0


@dataclass(slots=True)
class _Sweep:
    """One scan job so far."""

    start: int
    total: int
    probed: int = 0
    alive: int = 0


@dataclass(slots=True)
class StatusLine:
    """What the progress line says after the events seen so far."""

    command: Command
    progress: Progress = field(init=False)
    sweeps: dict[tuple[str, str], _Sweep] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.progress = Progress(self.command)

    def observe(self, event: Event) -> None:
        """Count one event of the stream."""
        self.progress.observe(event)
        key = (event.agent or "", event.target or "")
        if isinstance(event, StartEvent) and event.probe == "scan":
            network = ipaddress.ip_network(event.address)
            self.sweeps[key] = _Sweep(int(network.network_address), network.num_addresses)
        sweep = self.sweeps.get(key)
        if sweep is None:
            return
        if isinstance(event, ScanEvent):
            offset = int(ipaddress.ip_address(event.address)) - sweep.start
            sweep.probed = max(sweep.probed, offset + 1)
            sweep.alive += event.state == "alive"
        elif isinstance(event, ScanSummaryEvent):
            sweep.probed, sweep.alive = event.probed, event.alive

    def text(self, elapsed_s: float) -> str | None:
        """The line at ``elapsed_s`` seconds into the run, or ``None`` while it is too young
        to need one (a run not in :data:`ALWAYS`, shorter than :data:`SHOW_AFTER_S`)."""
        name = self.command.command
        if name not in ALWAYS and elapsed_s < SHOW_AFTER_S:
            return None
        if self.sweeps:
            return self._scan(elapsed_s)
        total = "?" if self.progress.total is None else str(self.progress.total)
        return f"{name}: {self.progress.done}/{total} done, {elapsed_s:.1f} s"

    def _scan(self, elapsed_s: float) -> str:
        probed = sum(sweep.probed for sweep in self.sweeps.values())
        total = sum(sweep.total for sweep in self.sweeps.values())
        alive = sum(sweep.alive for sweep in self.sweeps.values())
        rate = probed / elapsed_s if elapsed_s > 0 else 0.0
        target = ", ".join(dict.fromkeys(target for _, target in self.sweeps))
        return (
            f"scan {target}: {probed}/{total} probed, {alive} alive, "
            f"{elapsed_s:.1f} s, {rate:.0f}/s"
        )
