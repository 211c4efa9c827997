"""Which offers this agent takes, and in what form: pure checks, no I/O, no clock.

A hub's offer is a request, not an order (design.md "Auth, limits and safety": targets are
checked "again on the agent"). The agent parses the command under its own :class:`Limits`,
holds it to the offer's :class:`~cloudping.wire.JobLimits` and to its own packet-rate cap, and
runs it with a target policy that opens the ranges it serves only to askers allowed to use them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudping.commands import (
    Command,
    MtrCommand,
    PingCommand,
    ScanCommand,
    TcpingCommand,
    TracerouteCommand,
)
from cloudping.errors import CloudpingError
from cloudping.policy import DEFAULT_LIMITS, Limits
from cloudping.probes.targets import Network, TargetPolicy
from cloudping.wire import JobOffer
from cloudping.wire.payloads import offered_command

DEFAULT_MAX_RATE_PPS = 1000
"""The agent's own packet-rate cap unless ``--max-rate`` says otherwise (a scan's default)."""
TRACEROUTE_IN_FLIGHT = 16  # traceroute.py's window: at most this many probes per round trip


class LimitExceededError(CloudpingError):
    """An offer asks for more than this agent (or the offer's own limits) allows."""

    code = "limit_exceeded"


@dataclass(frozen=True, slots=True)
class AgentRules:
    """What this agent allows, whoever asks.

    Attributes:
        served: non-public ranges it may probe for askers with the ``private`` scope.
        max_rate_pps: its packet-rate cap for one job.
        limits: the command limits offers are parsed under (the policy for others' jobs).
    """

    served: tuple[Network, ...] = ()
    max_rate_pps: int = DEFAULT_MAX_RATE_PPS
    limits: Limits = DEFAULT_LIMITS

    def __post_init__(self) -> None:
        if self.max_rate_pps < 1:
            raise ValueError("max_rate_pps must be 1 or more")


def parse_served(text: str) -> tuple[Network, ...]:
    """``--serve 172.20.0.0/14,fd00::/8`` as networks.

    Strict: ``10.1.0.0/8`` (host bits set) is refused as the likely typo it is.

    Raises:
        ValueError: an entry is not a CIDR in its canonical form.
    """
    nets: list[Network] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            nets.append(ipaddress.ip_network(item, strict=True))
        except ValueError as exc:
            raise ValueError(f"--serve: {item!r} is not a network (CIDR): {exc}") from exc
    return tuple(nets)


def job_policy(offer: JobOffer, rules: AgentRules) -> TargetPolicy:
    """The target policy of one job: served ranges open only to an asker with ``private``."""
    return TargetPolicy(served=rules.served, private=offer.limits.private)


def admit(offer: JobOffer, rules: AgentRules) -> Command:
    """The command to run for ``offer``, or why not.

    A scan that names no rate runs at the cap (the default rate is a policy's choice, not the
    asker's); any other command that asks for more than the cap is refused, since slowing it
    would change what was measured.

    Raises:
        UsageError: the command is not valid under the agent's limits.
        LimitExceededError: it asks for more packets, or a higher rate, than allowed.
    """
    cmd = offered_command(offer, rules.limits)
    cap = min(rules.max_rate_pps, offer.limits.max_rate_pps)
    if isinstance(cmd, ScanCommand) and cmd.rate is None:
        default = min(rules.limits.scan_rate_default, rules.limits.scan_rate_max)
        cmd = cmd.model_copy(update={"rate": min(default, cap)})
    _check("max_rate_pps", packet_rate(cmd, rules.limits), cap, "packets/s")
    _check("max_packets", packet_count(cmd), offer.limits.max_packets, "packets")
    return cmd


def _check(limit: str, asked: float | None, allowed: int, unit: str) -> None:
    if asked is not None and asked > allowed:
        raise LimitExceededError(
            f"the job asks for {asked:g} {unit}; this agent allows at most {allowed} {unit}"
            f" ({limit})",
            limit=limit,
            allowed=allowed,
            asked=asked,
        )


def packet_rate(cmd: Command, limits: Limits = DEFAULT_LIMITS) -> float | None:
    """Packets per second the command sends at its peak; ``None``: not a packet stream (DNS
    and HTTP send a few requests)."""
    rate = _RATES.get(type(cmd))
    return None if rate is None else rate(cmd, limits)


def packet_count(cmd: Command) -> int | None:
    """Packets the command sends at most; ``None``: not counted (DNS, HTTP)."""
    count = _COUNTS.get(type(cmd))
    return None if count is None else count(cmd)


def _scan_rate(cmd: ScanCommand, limits: Limits) -> float:
    return float(min(cmd.rate or limits.scan_rate_default, limits.scan_rate_max))


# Per command kind: ping and tcping run their targets side by side, one packet each per
# interval; mtr probes every hop once per round; traceroute is paced by its window.
_RATES: dict[type[Any], Callable[[Any, Limits], float]] = {
    PingCommand: lambda cmd, _: len(cmd.targets) / cmd.interval,
    TcpingCommand: lambda cmd, _: len(cmd.targets) / cmd.interval,
    MtrCommand: lambda cmd, _: cmd.max_hops / cmd.interval,
    TracerouteCommand: lambda _cmd, _: float(TRACEROUTE_IN_FLIGHT),
    ScanCommand: _scan_rate,
}
_COUNTS: dict[type[Any], Callable[[Any], int]] = {
    PingCommand: lambda cmd: cmd.count * len(cmd.targets),
    TcpingCommand: lambda cmd: cmd.count * len(cmd.targets),
    MtrCommand: lambda cmd: cmd.count * cmd.max_hops,
    TracerouteCommand: lambda cmd: cmd.queries * (cmd.max_hops - cmd.first_hop + 1),
    ScanCommand: lambda cmd: cmd.network.num_addresses * (1 + cmd.retries),
}
