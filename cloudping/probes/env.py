"""What every probe needs from where it runs: its agent name, name resolution, shared sockets."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from cloudping.errors import ResolveError
from cloudping.probes.icmp.endpoint import IcmpEndpoint
from cloudping.probes.icmp.transport import IcmpSocket
from cloudping.probes.path.rdns import ReverseNames
from cloudping.probes.targets import Network, TargetPolicy

Family = Literal[4, 6]
RESOLVE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Resolved:
    """A target's address, its family and the socket address to send to."""

    address: str
    family: Family
    sockaddr: tuple[object, ...]


async def resolve(host: str, family: Family | None) -> Resolved:
    """Resolve ``host`` (a name or an address literal) for ``family`` (``None``: either).

    The first address the system resolver returns is used, as ping does (RFC 6724 order).

    Raises:
        ResolveError: the name does not resolve, or not in the asked family.
    """
    literal = _literal(host)
    if literal is not None:
        if family is not None and literal.version != family:
            raise ResolveError(
                f"{host}: is an IPv{literal.version} address, but -{family} was given"
            )
        return _resolved(str(literal), literal.version, ())
    af = {None: socket.AF_UNSPEC, 4: socket.AF_INET, 6: socket.AF_INET6}[family]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            infos = await loop.getaddrinfo(host, None, family=af, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise ResolveError(f"{host}: {exc.strerror}") from exc
    except TimeoutError as exc:
        raise ResolveError(f"{host}: no answer from the resolver in {RESOLVE_TIMEOUT:g} s") from exc
    for af_found, _, _, _, sockaddr in infos:
        if af_found in (socket.AF_INET, socket.AF_INET6):
            version: Family = 4 if af_found == socket.AF_INET else 6
            return _resolved(str(sockaddr[0]).partition("%")[0], version, tuple(sockaddr))
    raise ResolveError(f"{host}: no IPv{family or '4/6'} address")


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None


def _resolved(address: str, family: int, sockaddr: tuple[object, ...]) -> Resolved:
    version: Family = 4 if family == 4 else 6
    if not sockaddr:
        sockaddr = (address, 0) if version == 4 else (address, 0, 0, 0)
    return Resolved(address, version, sockaddr)


@dataclass
class ProbeEnv(AbstractAsyncContextManager["ProbeEnv"]):
    """The place probes run: one agent, with sockets shared by all its jobs.

    Sockets open on first use and close when the environment closes.
    """

    agent: str = "local"
    policy: TargetPolicy | None = None  # None: the local CLI, acting with its user's rights
    names: ReverseNames = field(default_factory=ReverseNames)
    _icmp: dict[int, IcmpEndpoint] = field(default_factory=dict)

    def check_target(self, address: str, *, what: str = "target") -> None:
        """Refuse an address the policy does not allow (no-op without a policy).

        Raises:
            PolicyDeniedError: ``address`` is special-purpose and not served here.
        """
        if self.policy is not None:
            self.policy.check(address, what=what)

    def check_network(self, network: Network) -> None:
        """Refuse a range the policy does not allow (no-op without a policy).

        Raises:
            PolicyDeniedError: some address of ``network`` is special-purpose and not served.
        """
        if self.policy is not None:
            self.policy.check_network(network)

    def icmp(self, family: Family) -> IcmpEndpoint:
        """The shared ICMP endpoint of ``family``, opened on first use.

        Raises:
            ProbeEnvironmentError: this process may open no ICMP socket of that family.
        """
        endpoint = self._icmp.get(family)
        if endpoint is None:
            sock = IcmpSocket.open(family)
            sock.start(asyncio.get_running_loop())
            endpoint = self._icmp[family] = IcmpEndpoint(sock)
        return endpoint

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for endpoint in self._icmp.values():
            endpoint.close()
        self._icmp.clear()
