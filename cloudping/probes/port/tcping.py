"""tcping: time TCP connects to ``host[:port]`` targets, all at once.

Each probe is one connect (:mod:`tcp`): ``open`` (SYN-ACK) and ``closed`` (RST) both count as
received, since a RST proves the host answers as surely as a SYN-ACK; a timeout means the port
is filtered; an ICMP error (host unreachable, ...) is an error. One ``summary`` per target with
``probe="tcping"`` and its port, so the exit status reads as ping's: 0 when any target answered.
"""

from __future__ import annotations

from cloudping.commands import TcpingCommand
from cloudping.events import Emit, PingSummaryEvent
from cloudping.probes.env import Family, ProbeEnv
from cloudping.probes.port.job import PortSpec, PortTarget, run_targets
from cloudping.probes.port.tcp import TcpConnectProber


async def run(cmd: TcpingCommand, env: ProbeEnv, emit: Emit) -> list[PingSummaryEvent]:
    """Connect ``cmd.count`` times to every target; emits events, returns one summary each.

    A target that does not resolve yields an ``error`` event and no summary.
    """
    targets = [
        PortTarget(target, host, _spec(cmd, port))
        for target, (host, port) in zip(cmd.targets, cmd.endpoints, strict=True)
    ]
    return await run_targets(targets, cmd.family, _prober, env, emit)


def _spec(cmd: TcpingCommand, port: int) -> PortSpec:
    return PortSpec("tcping", port, cmd.count, cmd.interval, cmd.timeout)


def _prober(family: Family) -> TcpConnectProber:
    return TcpConnectProber(family)
