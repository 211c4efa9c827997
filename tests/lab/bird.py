"""BIRD routers in the lab: eBGP between r1, r2 and target, each announcing static routes with
AS-path prepends and standard and large communities, v4 and v6; r2 dumps its tables as MRT.

```
r1 (AS 65001) --eBGP v4+v6-- r2 (AS 4200000002) --eBGP v4+v6-- target (AS 65003)
```

r2 learns every route from four sessions (two per neighbour), so its dumps list several
peers; r2's own statics have peer AS 0 and no next hop (BIRD's local routes). Every prefix is
inside the lab's ranges (198.18.0.0/15, 2001:db8::/32); no kernel protocol runs, so nothing
reaches a routing table: the routes are data.
"""

from __future__ import annotations

import ipaddress
import itertools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .topology import FAMILIES, Lab, Role, poll_until

ASNS: dict[Role, int] = {"r1": 65001, "r2": 4200000002, "target": 65003}
NEIGHBOURS: dict[Role, tuple[Role, ...]] = {
    "r1": ("r2",),
    "r2": ("r1", "target"),
    "target": ("r2",),
}
# Where each router's statics live: disjoint, so that only the anycast prefixes have two.
V4_SPACE: dict[Role, str] = {
    "r1": "198.19.0.0/17",
    "r2": "198.19.128.0/18",
    "target": "198.19.192.0/18",
}
V6_SPACE: dict[Role, str] = {
    "r1": "2001:db8:1000::/36", "r2": "2001:db8:2000::/36", "target": "2001:db8:3000::/36"
}  # fmt: skip
_READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class StaticRoute:
    """A static route a router announces: its origin is the last prepended ASN (or the router's
    own when none), its communities ``(a, b)`` and large communities ``(a, b, c)``."""

    prefix: str
    prepends: tuple[int, ...] = ()
    communities: tuple[tuple[int, int], ...] = ()
    large: tuple[tuple[int, int, int], ...] = ()

    def config(self) -> str:
        actions = [f"bgp_path.prepend({asn});" for asn in self.prepends]
        actions += [f"bgp_community.add(({a},{b}));" for a, b in self.communities]
        actions += [f"bgp_large_community.add(({a},{b},{c}));" for a, b, c in self.large]
        return f"  route {self.prefix} blackhole {{ {' '.join(actions)} }};"


def statics(role: Role, count: int) -> list[StaticRoute]:
    """``count`` v4 and ``count`` v6 statics of ``role``, with varied prepends and communities
    (paths of one to four ASNs), every 7th with a more-specific half beside it (a lookup by
    address finds a longest match and the prefix covering it); r1 and target also announce
    the same anycast prefixes, which r2 sees from two peers."""
    routes: list[StaticRoute] = []
    spaces: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
        ipaddress.IPv4Network(V4_SPACE[role]),
        ipaddress.IPv6Network(V6_SPACE[role]),
    )
    for space in spaces:
        length = 24 if space.version == 4 else 48
        prefixes = [str(net) for net in itertools.islice(space.subnets(new_prefix=length), count)]
        for index, prefix in enumerate(prefixes):
            routes.append(_varied(prefix, index))
            if index % 7 == 0:
                routes.append(_varied(f"{prefix.split('/')[0]}/{length + 1}", index + 1))
    if role in ("r1", "target"):
        routes += [StaticRoute(prefix, (ANYCAST_ORIGIN,), ((65535, 666),)) for prefix in ANYCAST]
    return routes


ANYCAST = ("198.18.200.0/24", "2001:db8:200::/48")
ANYCAST_ORIGIN = 64999


def _varied(prefix: str, index: int) -> StaticRoute:
    prepends = tuple(64512 + (index * k) % 500 for k in range(1, 1 + index % 4))
    communities = tuple((65000 + k, index) for k in range(index % 3))
    large = ((4200000000, index, index % 5),) if index % 2 else ()
    return StaticRoute(prefix, prepends, communities, large)


def config(lab: Lab, role: Role, routes: list[StaticRoute]) -> str:
    """The BIRD 2 configuration of ``role``: device, statics v4/v6, eBGP to its neighbours."""
    own_v4 = lab.link_addr(role, NEIGHBOURS[role][0], 4)
    lines = [f"router id {own_v4};", "protocol device {}"]
    for family in FAMILIES:
        mine = [r for r in routes if ipaddress.ip_network(r.prefix).version == family]
        lines += [f"protocol static static{family} {{", f"  ipv{family} {{ import all; }};"]
        lines += [route.config() for route in mine]
        lines.append("}")
    for peer in NEIGHBOURS[role]:
        for family in FAMILIES:
            lines += [
                f"protocol bgp {peer}_v{family} {{",
                f"  local {lab.link_addr(role, peer, family)} as {ASNS[role]};",
                f"  neighbor {lab.link_addr(peer, role, family)} as {ASNS[peer]};",
                "  connect delay time 1; connect retry time 1; error wait time 1, 2;",
                f"  ipv{family} {{ import all; export all; }};",
                "}",
            ]
    return "\n".join(lines) + "\n"


@dataclass
class BirdLab:
    """The three BIRD routers, started in the lab; stopped (by PID) at :meth:`close`."""

    lab: Lab
    directory: Path
    routes: dict[Role, list[StaticRoute]]
    procs: dict[Role, subprocess.Popen[Any]] = field(default_factory=dict)

    def socket(self, role: Role) -> Path:
        return self.directory / f"{role}.ctl"

    def start(self) -> None:
        for role, routes in self.routes.items():
            conf = self.directory / f"{role}.conf"
            conf.write_text(config(self.lab, role, routes))
            argv = ["bird", "-f", "-c", str(conf), "-s", str(self.socket(role))]
            self.procs[role] = self.lab.popen(role, argv, stdout=subprocess.DEVNULL)
        total = sum(len(r) for r in self.routes.values())
        poll_until(lambda: self.route_count("r2") >= total, timeout=_READY_TIMEOUT,
                   what=f"r2 to learn {total} routes over eBGP")  # fmt: skip

    def birdc(self, role: Role, *command: str) -> str:
        argv = ["birdc", "-s", str(self.socket(role)), *command]
        return self.lab.run(role, argv, timeout=30).stdout

    def route_count(self, role: Role) -> int:
        """How many routes (of every protocol, both families) ``role``'s tables hold."""
        try:
            out = self.birdc(role, "show route count")
        except subprocess.CalledProcessError:  # not listening yet
            return 0
        # "1234 of 1234 routes for 1234 networks in table master4", and a "Total:" line
        lines = [line for line in out.splitlines() if "in table" in line]
        return sum(int(line.split()[0]) for line in lines)

    def dump(self, family: int, path: Path) -> Path:
        """r2's table of ``family`` as an MRT TABLE_DUMP_V2 file at ``path``."""
        # birdc answers once BIRD has written and closed the file.
        self.birdc("r2", "mrt", "dump", "table", f'"master{family}"', "to", f'"{path}"')
        return path

    def close(self) -> None:
        for proc in self.procs.values():
            self.lab.stop(proc)


def bird_lab(lab: Lab, directory: Path, per_router: int) -> Iterator[BirdLab]:
    """The BIRD routers with ``per_router`` v4 and v6 statics each, for a fixture to yield."""
    routers = BirdLab(lab, directory, {role: statics(role, per_router) for role in ASNS})
    try:
        routers.start()
        yield routers
    finally:
        routers.close()
