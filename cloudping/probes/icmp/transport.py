"""One shared ICMP socket per address family, bound to the asyncio loop.

A raw socket when the process may open one (root or CAP_NET_RAW), else an unprivileged ICMP
datagram socket (Linux "ping" sockets, allowed by ``net.ipv4.ping_group_range``). Receive times
come from the kernel (``SO_TIMESTAMPNS``), like iputils ping, so the event loop's wake-up
latency does not bias RTTs. Decoding and matching are sans-IO (``codec``, ``table``); this
module only moves bytes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import secrets
import socket
import struct
import time
from collections.abc import Callable
from typing import Literal

from cloudping.errors import ProbeEnvironmentError
from cloudping.probes.icmp import codec

# linux/socket.h, linux/in.h, linux/in6.h, linux/icmpv6.h: not all exported by Python 3.11.
SO_TIMESTAMPNS = 35
IP_MTU_DISCOVER = 10
IP_RECVERR = 11
IP_RECVTTL = 12
IP_PMTUDISC_DONT = 0
IP_PMTUDISC_DO = 2
IPV6_MTU_DISCOVER = 23
IPV6_RECVERR = 25
ICMP6_FILTER = 1
_ANCILLARY = 512
_BUFFER = 65536

Method = Literal["raw", "datagram"]
Handler = Callable[[codec.Message, str | None, int], None]
"""Called with (message, source address or None, kernel receive time in ns since the epoch)."""


def _strip_scope(address: str) -> str:
    return address.partition("%")[0]


class IcmpSocket:
    """A non-blocking ICMP socket of one family, read by the event loop.

    Use :meth:`open`; set :attr:`handler` to receive decoded messages.
    """

    def __init__(self, sock: socket.socket, family: Literal[4, 6], method: Method) -> None:
        self.sock = sock
        self.family = family
        self.method = method
        self.ident = self._ident()
        self.cookie = secrets.token_bytes(codec.COOKIE_SIZE)
        self.handler: Handler | None = None
        self._ttl: int | None = None
        self._df: bool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def open(cls, family: Literal[4, 6]) -> IcmpSocket:
        """Open the best ICMP socket this process may have for ``family``.

        Raises:
            ProbeEnvironmentError: neither a raw nor a datagram ICMP socket is allowed.
        """
        af = socket.AF_INET if family == 4 else socket.AF_INET6
        proto = socket.IPPROTO_ICMP if family == 4 else socket.IPPROTO_ICMPV6
        try:
            sock = socket.socket(af, socket.SOCK_RAW, proto)
            method: Method = "raw"
        except PermissionError:
            try:
                sock = socket.socket(af, socket.SOCK_DGRAM, proto)
                method = "datagram"
            except OSError as exc:
                raise ProbeEnvironmentError(
                    _NO_SOCKET_ADVICE.format(family=family, exc=exc)
                ) from exc
        except OSError as exc:  # e.g. EAFNOSUPPORT: no IPv6 on this host
            raise ProbeEnvironmentError(f"cannot open an ICMPv{family} socket: {exc}") from exc
        self = cls(sock, family, method)
        self._configure()
        return self

    def _ident(self) -> int:
        if self.method == "raw":
            return secrets.randbelow(0x10000)
        # Any local address: a ping socket's bind only reserves its identifier (the "port").
        self.sock.bind(("0.0.0.0", 0) if self.family == 4 else ("::", 0))  # noqa: S104
        ident: int = self.sock.getsockname()[1]  # the kernel's identifier for a ping socket
        return ident

    def _configure(self) -> None:
        s = self.sock
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if self.family == 6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
            if self.method == "raw":
                s.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, _icmp6_filter())
            else:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        elif self.method == "datagram":
            s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start reading on ``loop``."""
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self._on_readable)

    def close(self) -> None:
        """Stop reading and close the socket."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()

    def send(
        self, sockaddr: tuple[object, ...], packet: bytes, *, ttl: int | None, df: bool
    ) -> int:
        """Send one echo request; returns the send time in ns since the epoch.

        Raises:
            OSError: the kernel refused it (no route, message too long for the MTU with DF).
        """
        if ttl != self._ttl:
            self._set_ttl(ttl)
        if df != self._df:
            self._set_df(df)
        sent_at = time.time_ns()
        self.sock.sendto(packet, sockaddr)
        return sent_at

    def _set_ttl(self, ttl: int | None) -> None:
        value = -1 if ttl is None else ttl  # -1: back to the system default
        if self.family == 4:
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, value)
        else:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, value)
        self._ttl = ttl

    def _set_df(self, df: bool) -> None:
        mode = IP_PMTUDISC_DO if df else IP_PMTUDISC_DONT
        if self.family == 4:
            self.sock.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, mode)
        else:
            self.sock.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, mode)
        self._df = df

    def _on_readable(self) -> None:
        self._drain(0)
        if self.method == "datagram":
            self._drain(socket.MSG_ERRQUEUE)

    def _drain(self, flags: int) -> None:
        for _ in range(1024):  # bounded: give the loop back under a flood
            try:
                data, ancdata, _, source = self.sock.recvmsg(_BUFFER, _ANCILLARY, flags)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return
                continue  # a pending socket error (e.g. ECONNREFUSED) is not about a probe
            self._dispatch(data, ancdata, source, flags)

    def _dispatch(
        self, data: bytes, ancdata: list[tuple[int, int, bytes]], source: object, flags: int
    ) -> None:
        received_at, ttl, ee_data = parse_ancillary(ancdata)
        if received_at is None:
            received_at = time.time_ns()
        message: codec.Message | None
        sender: str | None
        if flags & socket.MSG_ERRQUEUE:
            message = codec.parse_queued_error(self.family, data, ee_data) if ee_data else None
            sender = message.sender if message is not None else None
        else:
            message = codec.parse_packet(
                self.family, data, ip_header=self.method == "raw" and self.family == 4
            )
            sender = _strip_scope(str(source[0])) if isinstance(source, tuple) else None
            message = _with_ttl(message, ttl)
        if message is not None and self.handler is not None:
            self.handler(message, sender, received_at)


def _with_ttl(message: codec.Message | None, ttl: int | None) -> codec.Message | None:
    if ttl is None or message is None or message.ttl is not None:
        return message
    return dataclasses.replace(message, ttl=ttl)


def parse_ancillary(
    ancdata: list[tuple[int, int, bytes]],
) -> tuple[int | None, int | None, bytes]:
    """(kernel receive time ns, TTL or hop limit, extended error data) from control messages."""
    received_at = ttl = None
    ee_data = b""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            received_at = codec.parse_timespec(data)
        elif (level, kind) in (
            (socket.IPPROTO_IP, socket.IP_TTL),
            (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT),
        ):
            ttl = struct.unpack_from("=i", data)[0] if len(data) >= 4 else None
        elif (level, kind) in (
            (socket.IPPROTO_IP, IP_RECVERR),
            (socket.IPPROTO_IPV6, IPV6_RECVERR),
        ):
            ee_data = data
    return received_at, ttl, ee_data


def _icmp6_filter() -> bytes:
    """An ICMP6_FILTER passing echo replies and errors only (Linux: a set bit blocks a type)."""
    words = [0xFFFFFFFF] * 8
    for icmp_type in (1, 2, 3, 4, codec.ICMP6_ECHO_REPLY):
        words[icmp_type >> 5] &= ~(1 << (icmp_type & 31))
    return struct.pack("=8I", *words)


_NO_SOCKET_ADVICE = (
    "cannot open an ICMPv{family} socket: no raw socket (needs root or CAP_NET_RAW) and no "
    "datagram ICMP socket ({exc}). Run as root, give the interpreter CAP_NET_RAW "
    "(setcap cap_net_raw+ep), or allow your group: "
    'sysctl -w net.ipv4.ping_group_range="0 2147483647"'
)
