"""The probe registry: one module per kind, one signature.

``async def run(cmd, env, emit) -> list[summary]``: the probe emits ``start``, per-packet and
``summary`` events for each of its jobs; expected failures (timeouts, ICMP errors, a name that
does not resolve) are events, never exceptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from cloudping.events import Emit, SummaryEvent
from cloudping.probes import mtr, ping, scan, tcping, traceroute
from cloudping.probes.env import ProbeEnv

Probe = Callable[[Any, ProbeEnv, Emit], Awaitable[Sequence[SummaryEvent]]]

PROBES: dict[str, Probe] = {
    "ping": ping.run,
    "traceroute": traceroute.run,
    "mtr": mtr.run,
    "scan": scan.run,
    "tcping": tcping.run,
}
