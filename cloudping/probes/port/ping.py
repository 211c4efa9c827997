"""``ping --proto tcp|udp``: ping's schedule and statistics over TCP connects or UDP datagrams.

TCP probes the port as tcping does (default 443, tcping's default, so both commands probe the
same port unless told). UDP sends one datagram per probe (default port 33434, traceroute(8)'s
base port, where nothing listens) and times the target's ICMP port unreachable: see :mod:`udp`.
``--ttl`` applies to both and ``--df`` to UDP (Linux sets DF on TCP already); ``--size`` is the
UDP payload, while a SYN carries none.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudping.commands import TCPING_DEFAULT_PORT, PingCommand
from cloudping.events import Emit, PingSummaryEvent
from cloudping.probes.env import Family, ProbeEnv
from cloudping.probes.port.job import PortSpec, PortTarget, run_targets
from cloudping.probes.port.outcome import PortProber
from cloudping.probes.port.tcp import TcpConnectProber
from cloudping.probes.port.udp import UDP_DEFAULT_PORT, UdpDatagramProber

DEFAULT_PORTS = {"tcp": TCPING_DEFAULT_PORT, "udp": UDP_DEFAULT_PORT}


async def run(cmd: PingCommand, env: ProbeEnv, emit: Emit) -> list[PingSummaryEvent]:
    """Ping every target of ``cmd`` (``proto`` tcp or udp) at once; one summary per target."""
    port = cmd.port if cmd.port is not None else DEFAULT_PORTS[cmd.proto]
    spec = PortSpec("ping", port, cmd.count, cmd.interval, cmd.timeout)
    targets = [PortTarget(target, target, spec) for target in cmd.targets]
    return await run_targets(targets, cmd.family, _prober_factory(cmd), env, emit)


def _prober_factory(cmd: PingCommand) -> Callable[[Family], PortProber]:
    if cmd.proto == "tcp":
        return lambda family: TcpConnectProber(family, ttl=cmd.ttl)
    return lambda family: UdpDatagramProber(family, cmd.size, ttl=cmd.ttl, df=cmd.df)
