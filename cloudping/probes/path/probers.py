"""Send one probe with a given TTL and hear what comes back: ICMP, UDP or TCP.

Routers answer a probe whose TTL ran out with ICMP time exceeded, quoting its header
(RFC 792, RFC 4443): an echo request is matched through the shared ICMP socket's probe table,
a UDP or TCP probe through its flow (ports), which only a raw ICMP socket hears about. The
target answers an echo request with a reply, a UDP probe to an unused port with port
unreachable, and a TCP SYN with SYN-ACK or RST.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Literal, Protocol

from cloudping.errors import CloudpingError, ProbeEnvironmentError
from cloudping.events import Emit, ErrorEvent
from cloudping.probes.env import ProbeEnv, Resolved, resolve
from cloudping.probes.icmp import codec
from cloudping.probes.icmp.codec import EchoReply, IcmpError
from cloudping.probes.icmp.endpoint import FlowKey, IcmpEndpoint, Receiver
from cloudping.probes.icmp.table import InFlight
from cloudping.probes.path.hops import HopAnswer

UDP_BASE_PORT = 33434  # traceroute's default (traceroute(8) -p)
IP_MTU, IPV6_MTU = 14, 24  # linux/in.h, linux/in6.h
MTU_ERRORS = frozenset({"frag_needed", "packet_too_big"})


class LocalMtuError(Exception):
    """The probe does not fit the first link with DF set (``EMSGSIZE``); ``mtu`` does."""

    def __init__(self, mtu: int) -> None:
        super().__init__(f"message too long for the local MTU {mtu}")
        self.mtu = mtu


class HopProber(Protocol):
    """One way of probing a path (ICMP, UDP or TCP); shared by traceroute and mtr."""

    method: str

    async def probe(self, ttl: int, size: int) -> HopAnswer | None:
        """Send one probe with ``ttl`` and ``size`` payload bytes; ``None`` on timeout.

        Raises:
            LocalMtuError: DF is set and the packet is larger than the first link allows.
        """
        ...

    def close(self) -> None: ...


def classify(error: IcmpError, sender: str, target: str, proto: int) -> tuple[str | None, bool]:
    """(the ``icmp_error`` to report, whether the path ends here) for an ICMP error."""
    if error.name == "time_exceeded" or error.name in MTU_ERRORS:
        return error.name, False
    if error.name == "port_unreachable" and proto == codec.IPPROTO_UDP and sender == target:
        return None, True  # the expected end of a UDP traceroute
    return error.name, True


def _routed(resolved: Resolved) -> socket.socket:
    """A UDP socket connected towards ``resolved``: the kernel has picked route and source."""
    sock = socket.socket(
        socket.AF_INET if resolved.family == 4 else socket.AF_INET6, socket.SOCK_DGRAM
    )
    sock.connect((resolved.address, 9))  # connect() sends nothing for UDP
    return sock


def route_mtu(resolved: Resolved) -> int:
    """The MTU of the route to ``resolved``, as the kernel knows it."""
    with _routed(resolved) as sock:
        level = socket.IPPROTO_IP if resolved.family == 4 else socket.IPPROTO_IPV6
        return sock.getsockopt(level, IP_MTU if resolved.family == 4 else IPV6_MTU)


def route_source(resolved: Resolved) -> str:
    """The source address the kernel uses towards ``resolved``."""
    with _routed(resolved) as sock:
        return str(sock.getsockname()[0])


def _send_or_mtu(send: Callable[[], int], resolved: Resolved) -> int:
    try:
        return send()
    except OSError as exc:
        if exc.errno == errno.EMSGSIZE:
            raise LocalMtuError(route_mtu(resolved)) from exc
        raise


def make_prober(
    cmd_proto: str,
    env: ProbeEnv,
    resolved: Resolved,
    *,
    timeout: float,
    port: int | None,
    paris: bool,
    df: bool,
) -> HopProber:
    """The prober of a protocol, on the environment's shared ICMP socket.

    Raises:
        ProbeEnvironmentError: no ICMP socket, or UDP/TCP without a raw one.
    """
    endpoint = env.icmp(resolved.family)
    if cmd_proto == "udp":
        return UdpHopProber(endpoint, resolved, timeout=timeout, port=port, paris=paris, df=df)
    if cmd_proto == "tcp":
        return TcpHopProber(endpoint, resolved, timeout=timeout, port=port, df=df)
    return IcmpHopProber(endpoint, resolved, timeout=timeout, df=df)


@asynccontextmanager
async def open_path(
    target: str,
    family: Literal[4, 6] | None,
    env: ProbeEnv,
    emit: Emit,
    *,
    proto: str,
    timeout: float,
    port: int | None,
    paris: bool,
    df: bool,
) -> AsyncIterator[tuple[Resolved, HopProber] | None]:
    """Resolve ``target`` and open its prober for the block, closed after it; ``None`` (after
    an ``error`` event saying why) when it cannot be opened."""
    try:
        resolved = await resolve(target, family)
        env.check_target(resolved.address)
        prober = make_prober(proto, env, resolved, timeout=timeout, port=port, paris=paris, df=df)
    except CloudpingError as exc:
        emit(ErrorEvent.of(exc, agent=env.agent, target=target))
        yield None
        return
    try:
        yield resolved, prober
    finally:
        prober.close()


class IcmpHopProber:
    """Echo requests through the environment's shared ICMP socket (raw or datagram)."""

    method = "icmp"

    def __init__(
        self, endpoint: IcmpEndpoint, resolved: Resolved, *, timeout: float, df: bool
    ) -> None:
        self.endpoint, self.resolved, self.timeout, self.df = endpoint, resolved, timeout, df
        self._waiting: dict[int, asyncio.Future[tuple[codec.Message, str | None, int, int]]] = {}
        self._seq = 0

    def on_answer(
        self, flying: InFlight[Receiver], message: codec.Message, source: str | None, rx_ns: int
    ) -> None:
        future = self._waiting.get(flying.local_seq)
        if future is not None and not future.done():
            future.set_result((message, source, rx_ns, flying.tx_ns))

    async def probe(self, ttl: int, size: int) -> HopAnswer | None:
        self._seq += 1
        seq, future = self._seq, asyncio.get_running_loop().create_future()
        self._waiting[seq] = future

        def send() -> int:
            return self.endpoint.send(
                self, seq, self.resolved.sockaddr, size=size, ttl=ttl, df=self.df
            )

        try:
            wire = _send_or_mtu(send, self.resolved)
        except BaseException:
            del self._waiting[seq]
            raise
        try:
            async with asyncio.timeout(self.timeout):
                message, source, rx_ns, tx_ns = await future
        except TimeoutError:
            return None
        finally:
            del self._waiting[seq]
            self.endpoint.release(wire)
        return self._answer(message, source or self.resolved.address, (rx_ns - tx_ns) / 1e6)

    def _answer(self, message: codec.Message, source: str, rtt_ms: float) -> HopAnswer:
        if isinstance(message, EchoReply):
            return HopAnswer(source, rtt_ms, None, final=True)
        name, final = classify(message, source, self.resolved.address, codec.IPPROTO_ICMP)
        return HopAnswer(source, rtt_ms, name, final, message.mtu)

    def close(self) -> None:
        """Nothing of its own to close: the ICMP socket is the environment's."""


def _require_raw(endpoint: IcmpEndpoint, proto: str) -> None:
    if endpoint.method != "raw":
        raise ProbeEnvironmentError(
            f"--proto {proto} needs a raw ICMP socket (root or CAP_NET_RAW) to hear the routers' "
            "answers; ICMP (the default) works without"
        )


class _FlowHopProber:
    """Shared part of UDP and TCP probers: ICMP errors about our flows, by flow and check."""

    def __init__(self, endpoint: IcmpEndpoint, resolved: Resolved, timeout: float) -> None:
        self.endpoint, self.resolved, self.timeout = endpoint, resolved, timeout
        self.af = socket.AF_INET if resolved.family == 4 else socket.AF_INET6
        # (flow, check or None) -> (the probe's future, [its send time in ns])
        self._waiting: dict[tuple[FlowKey, int | None], tuple[asyncio.Future[HopAnswer], list[int]]]
        self._waiting = {}

    def _watch(
        self, key: FlowKey, check: int | None, sent_ns: list[int]
    ) -> asyncio.Future[HopAnswer]:
        """Wait for an ICMP error about flow ``key`` (quoting ``check`` when it is not None)."""
        future: asyncio.Future[HopAnswer] = asyncio.get_running_loop().create_future()
        self._waiting[(key, check)] = (future, sent_ns)
        by_check = check is not None

        def heard(error: IcmpError, sender: str | None, rx_ns: int) -> None:
            waiting = self._waiting.get((key, error.check if by_check else None))
            if waiting is None or waiting[0].done() or sender is None:
                return
            name, final = classify(error, sender, self.resolved.address, key[0])
            rtt_ms = (rx_ns - waiting[1][0]) / 1e6
            waiting[0].set_result(HopAnswer(sender, rtt_ms, name, final, error.mtu))

        self.endpoint.watch(key, heard)
        return future

    def _forget(self, key: FlowKey, check: int | None) -> None:
        self._waiting.pop((key, check), None)
        if not any(k == key for k, _ in self._waiting):
            self.endpoint.unwatch(key)

    async def _await(self, future: asyncio.Future[HopAnswer]) -> HopAnswer | None:
        try:
            async with asyncio.timeout(self.timeout):
                return await future
        except TimeoutError:
            return None

    def _set_ttl(self, sock: socket.socket, ttl: int) -> None:
        if self.resolved.family == 4:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)


class UdpHopProber(_FlowHopProber):
    """UDP datagrams to ports from 33434 up (one port per probe), or, with ``paris``, always
    to one port, so the flow's 5-tuple that ECMP routers hash stays put (Paris traceroute).

    Paris probes of one flow differ in length, which the quoted UDP header carries. (Paris
    traceroute varies the checksum instead; but a Linux router quotes a checksum still left
    to offload, not the final one, so the length is the field that survives.)
    """

    method = "udp"

    def __init__(
        self,
        endpoint: IcmpEndpoint,
        resolved: Resolved,
        *,
        timeout: float,
        port: int | None,
        paris: bool,
        df: bool,
    ) -> None:
        _require_raw(endpoint, "udp")
        super().__init__(endpoint, resolved, timeout)
        self.base, self.paris, self._n = port or UDP_BASE_PORT, paris, 0
        self._lengths: set[int] = set()  # UDP lengths of paris probes in flight
        self.sock = socket.socket(self.af, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        _set_df(self.sock, resolved.family, df)
        # Not connected: a port unreachable would make the next send fail (ECONNREFUSED).
        self.sock.bind((route_source(resolved), 0))
        self.sport = self.sock.getsockname()[1]

    async def probe(self, ttl: int, size: int) -> HopAnswer | None:
        self._n += 1
        dport = self.base if self.paris else (self.base + self._n) % 0xFFFF or 1
        length = self._free_length(size) if self.paris else None
        payload = bytes((length or 8 + size) - 8)
        key: FlowKey = (codec.IPPROTO_UDP, self.resolved.address, self.sport, dport)
        sent_ns = [0]
        future = self._watch(key, length, sent_ns)
        try:
            self._set_ttl(self.sock, ttl)
            sent_ns[0] = _send_or_mtu(lambda: self._send(payload, dport), self.resolved)
            return await self._await(future)
        finally:
            self._forget(key, length)
            self._lengths.discard(length or 0)

    def _free_length(self, size: int) -> int:
        """The shortest UDP length of at least ``8 + size`` that no paris probe in flight has."""
        length = 8 + size
        while length in self._lengths:
            length += 1
        self._lengths.add(length)
        return length

    def _send(self, payload: bytes, dport: int) -> int:
        sent = time.time_ns()
        self.sock.sendto(payload, (self.resolved.address, dport))
        return sent

    def close(self) -> None:
        self.sock.close()


class TcpHopProber(_FlowHopProber):
    """TCP SYNs by non-blocking connect(), one socket (so one source port) per probe.

    The target answers with SYN-ACK (open) or RST (closed): either way it was reached.
    """

    method = "tcp"

    def __init__(
        self,
        endpoint: IcmpEndpoint,
        resolved: Resolved,
        *,
        timeout: float,
        port: int | None,
        df: bool,
    ) -> None:
        _require_raw(endpoint, "tcp")
        super().__init__(endpoint, resolved, timeout)
        self.port, self.df = port or 80, df

    async def probe(self, ttl: int, size: int) -> HopAnswer | None:
        sock = socket.socket(self.af, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            self._set_ttl(sock, ttl)
            _set_df(sock, self.resolved.family, self.df)
            sock.bind(("0.0.0.0", 0) if self.resolved.family == 4 else ("::", 0))  # noqa: S104
            key: FlowKey = (
                codec.IPPROTO_TCP,
                self.resolved.address,
                sock.getsockname()[1],
                self.port,
            )
            sent_ns = [time.time_ns()]
            future = self._watch(key, None, sent_ns)
            try:
                sock.connect_ex(
                    (*self.resolved.sockaddr[:1], self.port, *self.resolved.sockaddr[2:])
                )
                return await self._race(sock, future, sent_ns[0])
            finally:
                self._forget(key, None)
        finally:
            sock.close()

    async def _race(
        self, sock: socket.socket, icmp: asyncio.Future[HopAnswer], sent: int
    ) -> HopAnswer | None:
        """The first of: an ICMP error about the SYN, the connection's outcome, the timeout."""
        loop = asyncio.get_running_loop()
        connected: asyncio.Future[int] = loop.create_future()

        def writable() -> None:
            # Once: a failed connect stays writable. Other errors (EHOSTUNREACH...) are the
            # kernel's reading of an ICMP error, which the raw socket delivers with its sender.
            loop.remove_writer(sock.fileno())
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if (
                code == errno.ECONNREFUSED or (code == 0 and _connected(sock))
            ) and not connected.done():
                connected.set_result(time.time_ns())

        loop.add_writer(sock.fileno(), writable)
        try:
            async with asyncio.timeout(self.timeout):
                done, _ = await asyncio.wait((icmp, connected), return_when=asyncio.FIRST_COMPLETED)
        except TimeoutError:
            return None
        finally:
            loop.remove_writer(sock.fileno())
            connected.cancel()
        if icmp in done:
            return icmp.result()
        return HopAnswer(self.resolved.address, (connected.result() - sent) / 1e6, None, final=True)

    def close(self) -> None:
        """Each probe closes its own socket."""


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


def _set_df(sock: socket.socket, family: int, df: bool) -> None:
    mode = 2 if df else 0  # IP_PMTUDISC_DO / IP_PMTUDISC_DONT
    if family == 4:
        sock.setsockopt(socket.IPPROTO_IP, 10, mode)  # IP_MTU_DISCOVER
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, 23, mode)  # IPV6_MTU_DISCOVER
