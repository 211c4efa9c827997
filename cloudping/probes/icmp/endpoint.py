"""A shared ICMP socket plus its table of probes in flight: sends, and routes answers home.

Echo requests are matched through the probe table. ICMP errors about UDP and TCP probes (a
traceroute's, a UDP ping's) arrive here too on a raw socket, and go to whoever watches that
flow: ``(protocol, destination, source port, destination port)``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

from cloudping.probes.icmp import codec
from cloudping.probes.icmp.codec import EchoReply, IcmpError
from cloudping.probes.icmp.table import InFlight, ProbeTable
from cloudping.probes.icmp.transport import IcmpSocket


class Receiver(Protocol):
    """A session that sent probes through an endpoint and wants their answers."""

    def on_answer(
        self,
        flying: InFlight[Receiver],
        message: EchoReply | IcmpError,
        source: str | None,
        rx_ns: int,
    ) -> None: ...


FlowKey = tuple[int, str, int, int]
"""(IP protocol, destination address, source port, destination port) of a UDP/TCP probe."""
FlowWatcher = Callable[[IcmpError, str | None, int], None]
"""Called with (the error, who sent it, kernel receive time in ns)."""


class IcmpEndpoint:
    """One ICMP socket of one family, shared by every session of the process."""

    def __init__(self, sock: IcmpSocket) -> None:
        self.sock = sock
        self.table: ProbeTable[Receiver] = ProbeTable(sock.ident, sock.cookie)
        self.flows: dict[FlowKey, FlowWatcher] = {}
        sock.handler = self._on_message

    @property
    def family(self) -> int:
        return self.sock.family

    @property
    def method(self) -> str:
        return self.sock.method

    def send(
        self,
        owner: Receiver,
        local_seq: int,
        sockaddr: tuple[object, ...],
        *,
        size: int,
        ttl: int | None = None,
        df: bool = False,
    ) -> int:
        """Send one echo request for ``owner``; returns its wire sequence number.

        Raises:
            OSError: the kernel refused the packet (the wire sequence is released).
        """
        dst = str(sockaddr[0]).partition("%")[0]
        seq = self.table.add(owner, local_seq, dst, 0)
        packet = codec.encode_echo_request(self.family, self.sock.ident, seq, self._payload(size))
        try:
            self.table.flying(seq).tx_ns = self.sock.send(sockaddr, packet, ttl=ttl, df=df)
        except OSError:
            self.table.release(seq)
            raise
        return seq

    def release(self, seq: int) -> None:
        """The owner is done with wire sequence ``seq``."""
        self.table.release(seq)

    def close(self) -> None:
        self.sock.close()

    def _payload(self, size: int) -> bytes:
        return _payload(size, self.sock.cookie)

    def watch(self, key: FlowKey, watcher: FlowWatcher) -> None:
        """Send ICMP errors about the UDP/TCP flow ``key`` to ``watcher`` (raw sockets only:
        a datagram ICMP socket hears only about its own echo requests)."""
        self.flows[key] = watcher

    def unwatch(self, key: FlowKey) -> None:
        self.flows.pop(key, None)

    def _on_message(self, message: codec.Message, source: str | None, rx_ns: int) -> None:
        if isinstance(message, IcmpError) and message.proto in (
            codec.IPPROTO_UDP,
            codec.IPPROTO_TCP,
        ):
            key = (message.proto, message.dst or "", message.sport, message.dport)
            watcher = self.flows.get(key)
            if watcher is not None:
                watcher(message, source, rx_ns)
            return
        if isinstance(message, EchoReply):
            flying = self.table.match_reply(message, source) if source is not None else None
        else:
            flying = self.table.match_error(message)
        if flying is not None:
            flying.owner.on_answer(flying, message, source, rx_ns)


@lru_cache(maxsize=64)
def _payload(size: int, cookie: bytes) -> bytes:
    return codec.make_payload(size, cookie)
