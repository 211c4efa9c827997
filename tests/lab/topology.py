"""The network lab: five namespaces, two routers, dual stack, real packets.

```
agent  198.18.1.2  2001:db8:1::2 --+
                                   r1 -- 198.18.2.0/24 -- r2 -- target 198.18.3.2  2001:db8:3::2
agent2 198.18.4.2  2001:db8:4::2 --+
```

Only 198.18.0.0/15 (RFC 2544 benchmarking) and 2001:db8::/32 (RFC 3849 documentation) are
used, inside namespaces this module creates; nothing is connected to the host's network.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import ipaddress
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, get_args

Role = Literal["agent", "agent2", "r1", "r2", "target"]
Family = Literal[4, 6]
ROLES: tuple[Role, ...] = get_args(Role)
FAMILIES: tuple[Family, ...] = (4, 6)
ROUTERS: frozenset[Role] = frozenset({"r1", "r2"})
LAB_NETWORKS = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32"))

# A namespace name is cp<creator pid>-<lab number>-<role>; the pid lets a later run find labs
# whose creator died (SIGKILL, power loss) and remove them.
_NAME = re.compile(r"^cp(?P<pid>\d+)-(?P<seq>\d+)-(?P<role>[a-z0-9]+)$")
_COMMAND_TIMEOUT = 10.0  # one `ip`/`sysctl` call; they take milliseconds
_STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Link:
    """A veth pair: `a` gets host .1 / ::1, `b` gets .2 / ::2 in subnet `n`."""

    a: Role
    b: Role
    n: int

    def host(self, role: Role) -> int:
        return 1 if role == self.a else 2


LINKS = (
    Link("r1", "agent", 1),
    Link("r1", "r2", 2),
    Link("r2", "target", 3),
    Link("r1", "agent2", 4),
)
# Each role's "own" address is the one on the link towards this peer: for r1 the agent side,
# for r2 the r1 side (the source of its ICMP errors towards the agents, so what traceroute shows).
PRIMARY_PEER: dict[Role, Role] = {
    "agent": "r1", "agent2": "r1", "r1": "agent", "r2": "r1", "target": "r2",
}  # fmt: skip
# Routes: (destination subnet number, or None for default) via the neighbouring role.
ROUTES: dict[Role, tuple[tuple[int | None, Role], ...]] = {
    "agent": ((None, "r1"),),
    "agent2": ((None, "r1"),),
    "target": ((None, "r2"),),
    "r1": ((None, "r2"),),
    "r2": ((1, "r1"), (4, "r1")),  # no default: anything else is "network unreachable"
}
BLACKHOLE_SUBNET = 99  # r2 silently discards it: no ICMP error (a `blackhole` route)
UNREACHABLE_SUBNET = 98  # r2 answers with ICMP host/address unreachable (an nft reject)

# Processes in the lab resolve through loopback only (nothing listens: lookups fail at once).
LAB_RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
LAB_HOSTS = "127.0.0.1 localhost\n::1 localhost\n"
# An accept-and-close TCP server on IPv4 and IPv6 (a dual-stack socket), for `tcp_listener`.
_TCP_LISTENER = """
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
s.listen()
while True:
    s.accept()[0].close()
"""
REASON_NOT_ROOT = "needs root to build network namespaces (run as root or in CI)"


class LabError(RuntimeError):
    """The lab could not be built, torn down, or did not become ready in time."""


class LabCommandError(subprocess.CalledProcessError):
    """A command run in the lab failed; its message carries stdout and stderr."""

    def __str__(self) -> str:
        return f"{super().__str__()}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def subnet_addr(n: int, host: int, family: Family) -> str:
    """Address `host` in lab subnet `n`: 198.18.n.host or 2001:db8:n::host."""
    return f"198.18.{n}.{host}" if family == 4 else f"2001:db8:{n}::{host:x}"


def poll_until(
    check: Callable[[], bool], *, timeout: float, what: str, every: float = 0.02
) -> None:
    """Call `check` until it returns True; raise LabError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)  # the poll interval of a bounded wait, not a stand-in for one


def lab_available() -> str | None:
    """Return why no lab can be built here (not root, no `ip netns`), or None if it can.

    Creating a namespace is the only sure test (a container may be root without CAP_SYS_ADMIN).
    """
    if os.geteuid() != 0:
        return REASON_NOT_ROOT
    if shutil.which("ip") is None:
        return f"{REASON_NOT_ROOT}: `ip` (iproute2) is not installed"
    probe = f"cp{os.getpid()}-99-probe"  # a lab-shaped name: a leftover is cleaned as stale
    made = subprocess.run(
        ["ip", "netns", "add", probe],
        capture_output=True,
        text=True,
        timeout=_COMMAND_TIMEOUT,
        check=False,
    )
    if made.returncode != 0:
        return f"{REASON_NOT_ROOT}: `ip netns add` failed: {made.stderr.strip()}"
    _delete_namespace(probe)
    return None


def _host(argv: Sequence[str], *, input: str | None = None) -> str:
    """Run a host command for the lab's plumbing; raise LabCommandError if it fails."""
    done = subprocess.run(
        argv, input=input, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise LabCommandError(done.returncode, list(argv), done.stdout, done.stderr)
    return done.stdout


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def list_namespaces() -> list[str]:
    """The names of all network namespaces (`ip netns list`, first column)."""
    return [line.split()[0] for line in _host(["ip", "netns", "list"]).splitlines() if line]


def cleanup_stale_labs() -> list[str]:
    """Delete lab namespaces whose creating process is gone; return their names."""
    stale = [
        name
        for name in list_namespaces()
        if (m := _NAME.match(name)) and not _pid_alive(int(m["pid"]))
    ]
    for name in stale:
        # Their processes belong to a dead run, not to us: only the names are removed, and the
        # kernel frees each namespace when its last process exits.
        _delete_namespace(name)
    return stale


def _delete_namespace(name: str) -> None:
    argv = ["ip", "netns", "delete", name]
    subprocess.run(argv, capture_output=True, timeout=_COMMAND_TIMEOUT, check=False)
    shutil.rmtree(Path("/etc/netns") / name, ignore_errors=True)


def _sysctls(role: Role, *, icmp_ratelimit: bool) -> list[str]:
    forwarding = int(role in ROUTERS)
    values = [
        "net.ipv4.ping_group_range=0 2147483647",  # a new namespace has "1 0": no ICMP sockets
        f"net.ipv4.ip_forward={forwarding}",  # IPv4 settings are inherited from the host's
        f"net.ipv6.conf.all.forwarding={forwarding}",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
        "net.ipv6.conf.all.disable_ipv6=0",
        "net.ipv6.conf.default.disable_ipv6=0",
        "net.ipv6.conf.all.accept_dad=0",  # addresses usable at once (also `nodad` below)
        "net.ipv6.conf.default.accept_dad=0",
        "net.ipv6.conf.default.accept_ra=0",  # quiet links: no RA/RS chatter in captures
        "net.ipv6.conf.default.router_solicitations=0",
    ]
    if not icmp_ratelimit:
        # Per-peer limits lose the last hops of back-to-back traceroutes; the global token
        # bucket (1000/s, burst 50) would throttle the "host unreachable"s of a sweep.
        values += [
            "net.ipv4.icmp_ratelimit=0",
            "net.ipv6.icmp.ratelimit=0",
            "net.ipv4.icmp_msgs_per_sec=100000",
            "net.ipv4.icmp_msgs_burst=10000",
        ]
    return values


class Lab:
    """A built lab. Make one with `Lab.build()`; `close()` (or `with`) tears it down."""

    def __init__(self, seq: int, *, icmp_ratelimit: bool) -> None:
        self.seq = seq
        self.icmp_ratelimit = icmp_ratelimit
        self.owner_pid = os.getpid()
        self._names = {role: f"cp{self.owner_pid}-{seq}-{role}" for role in ROLES}
        self._created: list[str] = []
        self._procs: list[subprocess.Popen[Any]] = []
        self._closed = False

    # -- building -------------------------------------------------------------------------

    @classmethod
    def build(cls, *, icmp_ratelimit: bool = False, ready_timeout: float = 15.0) -> Lab:
        """Create the namespaces, links, addresses and routes; return once traffic flows.

        Args:
            icmp_ratelimit: leave the kernel's ICMP rate limits on (default: off everywhere).
            ready_timeout: the bound on waiting for addresses and end-to-end reachability.

        Raises:
            LabError, LabCommandError: the lab could not be built (it is then torn down).
        """
        cleanup_stale_labs()
        lab = cls._reserve(icmp_ratelimit=icmp_ratelimit)
        atexit.register(lab._close_at_exit)
        try:
            lab._configure()
            lab._wait_ready(ready_timeout)
        except BaseException:
            lab.close()
            raise
        return lab

    @classmethod
    def _reserve(cls, *, icmp_ratelimit: bool) -> Lab:
        """Claim the first free lab number (`ip netns add` fails if a name exists)."""
        for seq in range(100):
            lab = cls(seq, icmp_ratelimit=icmp_ratelimit)
            try:
                for role in ROLES:
                    _host(["ip", "netns", "add", lab.ns(role)])
                    lab._created.append(lab.ns(role))
            except LabCommandError as exc:
                lab.close()
                if "exists" in exc.stderr:  # taken by another lab of this process
                    continue
                raise
            return lab
        raise LabError(f"no free lab number for pid {os.getpid()}")

    def _configure(self) -> None:
        for role in ROLES:
            # Name lookups stay inside the namespace: the host's resolver is not a lab address.
            (self.etc_dir(role) / "resolv.conf").write_text(LAB_RESOLV_CONF)
            (self.etc_dir(role) / "hosts").write_text(LAB_HOSTS)
        for role in ROLES:
            # Before the links exist, so `default.*` applies to the new interfaces.
            sysctls = _sysctls(role, icmp_ratelimit=self.icmp_ratelimit)
            _host(["ip", "netns", "exec", self.ns(role), "sysctl", "-q", "-w", *sysctls])
        for link in LINKS:
            a, b = self.ns(link.a), self.ns(link.b)
            _host(["ip", "link", "add", self.iface(link.a, link.b), "netns", a, "type", "veth",
                   "peer", "name", self.iface(link.b, link.a), "netns", b])  # fmt: skip
        # Two passes: every link is up (carrier on both ends) before any route is added.
        for role in ROLES:
            _host(["ip", "-n", self.ns(role), "-batch", "-"], input=self._batch_links(role))
        for role in ROLES:
            _host(["ip", "-n", self.ns(role), "-batch", "-"], input=self._batch_routes(role))
        _host(
            ["ip", "netns", "exec", self.ns("r2"), "nft", "-f", "-"], input=self._unreachable_nft()
        )

    def _unreachable_nft(self) -> str:
        # Not an `unreachable` route: the kernel limits route errors with a per-peer token
        # bucket that any earlier ICMP to that peer drains (net.ipv4.route.error_cost, host-wide,
        # not per namespace), so only the first error of a run would arrive. nft's reject
        # answers every packet (only `icmp_ratelimit` applies).
        v4, v6 = (self._subnet(UNREACHABLE_SUBNET, f) for f in FAMILIES)
        return (
            "table inet cp_lab {\n  chain lab_prerouting {\n"
            "    type filter hook prerouting priority 0; policy accept;\n"
            f"    ip daddr {v4} reject with icmpx host-unreachable\n"
            f"    ip6 daddr {v6} reject with icmpx host-unreachable\n  }}\n}}\n"
        )

    def _batch_links(self, role: Role) -> str:
        lines = ["link set lo up"]
        for link in LINKS:
            if role in (link.a, link.b):
                dev = self.iface(role, link.b if role == link.a else link.a)
                host = link.host(role)
                lines += [
                    f"link set {dev} up",
                    f"addr add {subnet_addr(link.n, host, 4)}/24 dev {dev}",
                    f"addr add {subnet_addr(link.n, host, 6)}/64 dev {dev} nodad",
                ]
        return "\n".join(lines) + "\n"

    def _batch_routes(self, role: Role) -> str:
        # `ip -batch` takes no options per line: the family follows from the addresses.
        lines = []
        for subnet, via in ROUTES[role]:
            for family in FAMILIES:
                dest = self._subnet(subnet, family)
                lines.append(f"route add {dest} via {self.link_addr(via, role, family)}")
        if role == "r2":
            for family in FAMILIES:
                lines.append(f"route add blackhole {self._subnet(BLACKHOLE_SUBNET, family)}")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _subnet(n: int | None, family: Family) -> str:
        if n is None:  # the default route
            return "0.0.0.0/0" if family == 4 else "::/0"
        return f"{subnet_addr(n, 0, 4)}/24" if family == 4 else f"2001:db8:{n}::/64"

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        poll_until(self._no_tentative, timeout=timeout, what="IPv6 addresses to leave tentative")
        sources: tuple[Role, ...] = ("agent", "agent2")
        for source, family in itertools.product(sources, FAMILIES):
            target = self.addr("target", family)
            poll_until(
                functools.partial(self._pings, source, family, target),
                timeout=max(deadline - time.monotonic(), 0.1),
                what=f"{source} to reach target {target}",
            )

    def _no_tentative(self) -> bool:
        return not any(
            _host(["ip", "-n", self.ns(role), "-6", "addr", "show", "tentative"]).strip()
            for role in ROLES
        )

    def _pings(self, source: Role, family: Family, address: str) -> bool:
        argv = ["ping", f"-{family}", "-n", "-q", "-c", "1", "-W", "1", address]
        return self.run(source, argv, timeout=5, check=False).returncode == 0

    # -- names and addresses --------------------------------------------------------------

    def ns(self, role: Role) -> str:
        """The real namespace name of `role`."""
        if role not in self._names:
            raise ValueError(f"unknown lab role {role!r}; roles: {', '.join(ROLES)}")
        return self._names[role]

    @property
    def closed(self) -> bool:
        """Whether `close()` has run."""
        return self._closed

    @property
    def namespaces(self) -> list[str]:
        """All namespace names of this lab, in role order."""
        return [self._names[role] for role in ROLES]

    @staticmethod
    def iface(role: Role, peer: Role | None = None) -> str:
        """The interface of `role` facing `peer` (default: its primary peer), e.g. veth-r2."""
        return f"veth-{peer or PRIMARY_PEER[role]}"

    @staticmethod
    def link_addr(role: Role, peer: Role, family: Family) -> str:
        """The address of `role` on its link with `peer`."""
        for link in LINKS:
            if {link.a, link.b} == {role, peer}:
                return subnet_addr(link.n, link.host(role), family)
        raise ValueError(f"{role} and {peer} share no link")

    def addr(self, role: Role, family: Family) -> str:
        """The address of `role`: r1 its agent side 198.18.1.1, r2 its r1 side 198.18.2.2."""
        self.ns(role)
        return self.link_addr(role, PRIMARY_PEER[role], family)

    @staticmethod
    def path(source: Role, dest: Role) -> list[Role]:
        """The roles a packet visits from `source` to `dest`, both included."""
        routes: dict[Role, list[Role]] = {source: [source]}
        frontier = [source]
        while frontier:
            node = frontier.pop()
            for link in LINKS:
                for here, there in ((link.a, link.b), (link.b, link.a)):
                    if here == node and there not in routes:
                        routes[there] = [*routes[node], there]
                        frontier.append(there)
        return routes[dest]

    def hops(self, family: Family, *, source: Role = "agent", dest: Role = "target") -> list[str]:
        """What `traceroute -n` from `source` to `dest` lists: each router, then `dest`.

        A router's ICMP errors leave by the interface back towards the source, with that
        interface's address (RFC 1812 4.3.2.4 lets it choose; Linux picks the route's source).
        """
        nodes = self.path(source, dest)
        return [self.link_addr(node, prev, family) for prev, node in itertools.pairwise(nodes)]

    @staticmethod
    def blackhole(family: Family) -> str:
        """An address r2 silently discards: 100 % loss and no ICMP error."""
        return subnet_addr(BLACKHOLE_SUBNET, 1, family)

    @staticmethod
    def unreachable(family: Family) -> str:
        """An address r2 answers with ICMP host unreachable (v6: address unreachable), always."""
        return subnet_addr(UNREACHABLE_SUBNET, 1, family)

    # -- running things -------------------------------------------------------------------

    def _exec(self, role: Role, argv: Sequence[str]) -> list[str]:
        if self._closed:
            raise LabError("the lab is closed")
        return ["ip", "netns", "exec", self.ns(role), *map(str, argv)]

    def run(
        self,
        ns_role: Role,
        argv: Sequence[str],
        *,
        timeout: float,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` in the namespace of `ns_role`, capture text, and wait at most `timeout`.

        Raises:
            subprocess.TimeoutExpired: it ran too long (it is killed first).
            LabCommandError: it failed and `check` is true.
        """
        cmd = self._exec(ns_role, argv)
        stdin = subprocess.PIPE if input is not None else subprocess.DEVNULL
        with subprocess.Popen(
            cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as proc:
            try:
                out, err = proc.communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                out, err = _kill_and_drain(proc)
                raise subprocess.TimeoutExpired(cmd, timeout, out, err) from None
        if check and proc.returncode != 0:
            raise LabCommandError(proc.returncode, cmd, out, err)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    def python(
        self,
        ns_role: Role,
        args: Sequence[str],
        timeout: float,
        *,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `python -m cloudping ARGS...` (this interpreter) in the namespace of `ns_role`."""
        argv = [sys.executable, "-m", "cloudping", *args]
        return self.run(ns_role, argv, timeout=timeout, check=check, input=input)

    def popen(self, ns_role: Role, argv: Sequence[str], **kw: Any) -> subprocess.Popen[Any]:
        """Start `argv` in the namespace; it is stopped (by PID) at teardown or by `stop`.

        `ip netns exec` execs the command, so the Popen's pid is the command's own pid.
        Keyword arguments go to `subprocess.Popen` (stdin defaults to /dev/null).
        """
        kw.setdefault("stdin", subprocess.DEVNULL)
        proc: subprocess.Popen[Any] = subprocess.Popen(self._exec(ns_role, argv), **kw)
        self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any], timeout: float = _STOP_TIMEOUT) -> int:
        """Stop a process from `popen`: SIGTERM, then SIGKILL after `timeout`; its exit code."""
        if proc in self._procs:
            self._procs.remove(proc)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(_STOP_TIMEOUT)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        return proc.returncode

    def tcp_listener(
        self, ns_role: Role, port: int, *, timeout: float = 10
    ) -> subprocess.Popen[Any]:
        """Start a dual-stack TCP server on `port` that accepts and closes every connection;
        returns once it listens (stop it with `stop`, or it goes at teardown)."""
        server = self.popen(ns_role, [sys.executable, "-c", _TCP_LISTENER, str(port)])
        self.wait_listening(ns_role, port, timeout=timeout)
        return server

    def wait_listening(
        self, ns_role: Role, port: int, *, proto: Literal["tcp", "udp"] = "tcp", timeout: float
    ) -> None:
        """Wait until a socket in the namespace listens on `port` (bounded by `timeout`)."""
        argv = ["ss", "-H", "-ln", "-t" if proto == "tcp" else "-u", f"sport = :{port}"]
        poll_until(
            lambda: bool(self.run(ns_role, argv, timeout=5).stdout.strip()),
            timeout=timeout,
            what=f"{proto} port {port} to listen in {ns_role}",
        )

    # -- changing the lab -----------------------------------------------------------------

    def add_addresses(self, ns_role: Role, family: Family, addresses: Iterable[str]) -> None:
        """Add host addresses (/32, /128, no DAD) to the primary interface of `ns_role`.

        For sweeps: the routes already cover 198.18.3.0/24 and 2001:db8:3::/64 on target.
        """
        dev = self.iface(ns_role)
        prefix = 32 if family == 4 else 128
        lines = []
        for text in addresses:
            address = ipaddress.ip_address(text)
            if address.version != family or not any(address in net for net in LAB_NETWORKS):
                raise ValueError(f"{text} is not an IPv{family} address inside the lab ranges")
            lines.append(f"addr add {address}/{prefix} dev {dev}" + " nodad" * (family == 6))
        _host(["ip", "-n", self.ns(ns_role), "-batch", "-"], input="\n".join(lines) + "\n")

    def etc_dir(self, ns_role: Role) -> Path:
        """/etc/netns/NS: files here (resolv.conf, hosts) replace /etc's inside the namespace.

        Created on demand and removed at teardown.
        """
        path = Path("/etc/netns") / self.ns(ns_role)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- teardown -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop every process the lab started, then delete its namespaces. Idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._close_at_exit)
        try:
            for proc in list(self._procs):
                self.stop(proc)
        finally:  # the namespaces go even if a process would not stop
            for name in self._created:
                with contextlib.suppress(subprocess.SubprocessError, OSError):
                    self._kill_leftovers(name)
                _delete_namespace(name)
            self._created.clear()

    def _kill_leftovers(self, name: str) -> None:
        """Kill processes still inside a namespace of this lab (a daemon a test forked).

        Only this run can have started processes in its own namespaces, so they are ours.
        """
        argv = ["ip", "netns", "pids", name]
        found = subprocess.run(
            argv, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=False
        )
        pids = [int(pid) for pid in found.stdout.split()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(LabError):
            poll_until(
                lambda: not any(_pid_alive(pid) and not _is_zombie(pid) for pid in pids),
                timeout=_STOP_TIMEOUT,
                what=f"processes {pids} in {name} to exit",
            )

    def _close_at_exit(self) -> None:
        if os.getpid() == self.owner_pid:  # not in a forked child
            self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Lab cp{self.owner_pid}-{self.seq} {state}>"


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _kill_and_drain(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """Kill a timed-out child; collect what it wrote, bounded even if a grandchild holds a pipe."""
    proc.kill()
    try:
        return proc.communicate(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "", ""
