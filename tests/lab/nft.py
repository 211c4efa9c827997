"""Faults for the lab, made with nftables: one table per fault, removed on exit.

Each helper applies its rules at once and returns an `NftTable`; use it as a context manager
(`with random_loss(lab, "r2", 30): ...`) or call `remove()`. Every fault rule has a counter,
so a test can check that the fault saw traffic (`table.packets()`).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self

from .topology import ROUTERS, Family, Lab, Role

Hook = Literal["input", "forward", "output"]
Proto = Literal["tcp", "udp", "icmp"]

# Neighbour discovery must pass whatever a fault drops, or IPv6 stops resolving next hops
# (RFC 4861); ARP is not seen by an inet table.
_KEEP_ND = (
    "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, "
    "nd-router-advert } accept"
)
_COUNTER = re.compile(r"counter packets (\d+)")
_serial = itertools.count()
_TIMEOUT = 10.0


@dataclass
class NftTable:
    """An nftables table (family inet) in one lab namespace."""

    lab: Lab
    ns_role: Role
    name: str

    def packets(self) -> int:
        """How many packets the fault's rules have matched so far."""
        listing = self.lab.run(
            self.ns_role, ["nft", "list", "table", "inet", self.name], timeout=_TIMEOUT
        )
        return sum(int(n) for n in _COUNTER.findall(listing.stdout))

    def remove(self) -> None:
        """Delete the table; nothing happens if it (or the lab) is already gone."""
        if self.lab.closed:
            return
        argv = ["nft", "delete", "table", "inet", self.name]
        self.lab.run(self.ns_role, argv, timeout=_TIMEOUT, check=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()


def apply(lab: Lab, ns_role: Role, name: str, hook: Hook, rules: list[str]) -> NftTable:
    """Create (or replace, atomically) table `inet NAME` with `rules` in one chain on `hook`."""
    body = "\n".join(f"    {rule}" for rule in [_KEEP_ND, *rules])
    # `add` then `delete` makes the batch valid whether or not the table exists; `nft -f`
    # applies the whole batch in one transaction. The chain is not called `fwd` (a keyword).
    script = (
        f"add table inet {name}\ndelete table inet {name}\n"
        f"table inet {name} {{\n  chain lab_{hook} {{\n"
        f"    type filter hook {hook} priority 0; policy accept;\n{body}\n  }}\n}}\n"
    )
    lab.run(ns_role, ["nft", "-f", "-"], input=script, timeout=_TIMEOUT)
    return NftTable(lab, ns_role, name)


def random_loss(lab: Lab, ns_role: Role, percent: int, *, both_ways: bool = False) -> NftTable:
    """Drop `percent` % of the packets a router forwards towards the target, at random.

    Only one direction by default, so a ping from an agent loses about `percent` %; with
    `both_ways` replies are dropped too (a round trip then fails 1 - (1 - p)^2 of the time).
    A second call in the same namespace replaces the first.
    """
    if ns_role not in ROUTERS:
        raise ValueError(f"random_loss needs a router (r1, r2), not {ns_role!r}")
    if not 0 <= percent <= 100:
        raise ValueError(f"percent must be 0..100, not {percent}")
    towards_target = lab.iface(ns_role, lab.path(ns_role, "target")[1])
    match = "" if both_ways else f'oifname "{towards_target}" '
    rule = f"{match}numgen random mod 100 < {percent} counter drop"
    return apply(lab, ns_role, "cp_random_loss", "forward", [rule])


def drop_time_exceeded(lab: Lab, router: Role, family: Family | None = None) -> NftTable:
    """Make a router a silent hop: it sends no ICMP time exceeded (`family` None: both)."""
    rules = []
    if family in (4, None):
        rules.append("icmp type time-exceeded counter drop")
    if family in (6, None):
        rules.append("icmpv6 type time-exceeded counter drop")
    suffix = "" if family is None else f"_v{family}"
    return apply(lab, router, f"cp_silent_hop{suffix}", "output", rules)


def reject_tcp_reset(
    lab: Lab, ns_role: Role, port: int, *, hook: Hook = "input", daddr: str | None = None
) -> NftTable:
    """Answer TCP to `port` with a reset (a closed port), even if something listens there."""
    rule = f"{_match('tcp', port, daddr)} counter reject with tcp reset"
    return apply(lab, ns_role, _unique("cp_tcp_reset"), hook, [rule])


def drop_tcp(
    lab: Lab, ns_role: Role, port: int, *, hook: Hook = "input", daddr: str | None = None
) -> NftTable:
    """Silently drop TCP to `port` (a filtered port: the client times out)."""
    return _drop(lab, ns_role, "tcp", port, hook=hook, daddr=daddr)


def drop_udp(
    lab: Lab, ns_role: Role, port: int, *, hook: Hook = "input", daddr: str | None = None
) -> NftTable:
    """Silently drop UDP to `port` (the client cannot tell it from a service that is silent)."""
    return _drop(lab, ns_role, "udp", port, hook=hook, daddr=daddr)


def _drop(
    lab: Lab, ns_role: Role, proto: Proto, port: int, *, hook: Hook, daddr: str | None
) -> NftTable:
    rule = f"{_match(proto, port, daddr)} counter drop"
    return apply(lab, ns_role, _unique(f"cp_drop_{proto}"), hook, [rule])


def reject_admin_prohibited(
    lab: Lab,
    ns_role: Role,
    *,
    proto: Proto | None = None,
    port: int | None = None,
    hook: Hook = "input",
    daddr: str | None = None,
) -> NftTable:
    """Reject with ICMP administratively prohibited (v4 type 3 code 13, v6 type 1 code 1).

    With no `proto`/`port`/`daddr` every packet on `hook` is rejected (neighbour discovery
    excepted). Use `hook="forward"` on a router to act as a firewall on the path.
    """
    rule = f"{_match(proto, port, daddr)} counter reject with icmpx admin-prohibited"
    return apply(lab, ns_role, _unique("cp_admin_prohibited"), hook, [rule.lstrip()])


def _match(proto: Proto | None, port: int | None, daddr: str | None) -> str:
    parts = []
    if daddr is not None:
        parts.append(f"{'ip' if ipaddress.ip_address(daddr).version == 4 else 'ip6'} daddr {daddr}")
    if port is not None:
        if proto not in ("tcp", "udp"):
            raise ValueError("a port needs proto 'tcp' or 'udp'")
        parts.append(f"{proto} dport {port}")
    elif proto == "icmp":
        parts.append("meta l4proto { icmp, ipv6-icmp }")
    elif proto is not None:
        parts.append(f"meta l4proto {proto}")
    return " ".join(parts)


def _unique(kind: str) -> str:
    return f"{kind}_{next(_serial)}"
