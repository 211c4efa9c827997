"""The QUIC binding: aioquic's events mapped onto the shared stream core.

Streams are QUIC's own (see :mod:`cloudping.wire.streams`: stream 0 is the agent's first
bidirectional stream, jobs are streams the hub opens); the bookkeeping of streams, channels
and timers is the :class:`~cloudping.transport.core.WireConnection`'s, shared with the
WebSocket binding. This module only says how QUIC sends, stops, probes and closes, and hands
aioquic's events to the connection attached to it.
"""

from __future__ import annotations

from typing import Any

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import (
    ConnectionTerminated,
    PingAcknowledged,
    QuicEvent,
    StopSendingReceived,
    StreamDataReceived,
)
from aioquic.quic.events import StreamReset as QuicStreamReset

from cloudping.transport.core import BindingBase
from cloudping.wire.connection import Disconnected
from cloudping.wire.streams import AppError, StopSending, StreamData, StreamReset

__all__ = ["QuicBinding"]


class QuicBinding(BindingBase, QuicConnectionProtocol):
    """One QUIC connection's asyncio protocol, carrying one
    :class:`~cloudping.transport.core.WireConnection`.

    Args:
        quic: aioquic's sans-IO connection.
    """

    def __init__(self, quic: QuicConnection) -> None:
        super().__init__(quic)
        self._pings = 0

    def datagram_received(self, data: bytes | str, addr: Any) -> None:
        """A datagram from the peer: its first one says where the peer is."""
        if self._peer_host is None:
            self._peer_host = str(addr[0])
        super().datagram_received(data, addr)

    # -- the stream core's primitives --------------------------------------------------------

    def send_stream(self, stream_id: int, data: bytes, *, end: bool) -> None:
        """Queue bytes on a QUIC stream."""
        self._quic.send_stream_data(stream_id, data, end_stream=end)

    def stop_stream(self, stream_id: int, error_code: int) -> None:
        """STOP_SENDING: the peer's QUIC stack resets its side at once."""
        self._quic.stop_stream(stream_id, error_code)

    def send_keepalive(self) -> None:
        """A QUIC PING (aioquic sends no keepalive of its own)."""
        self._pings += 1
        self._quic.send_ping(self._pings)

    def next_stream_id(self) -> int:
        """The next bidirectional stream this side may open."""
        return self._quic.get_next_available_stream_id()

    def close_transport(self, error_code: int, reason: str) -> None:
        """CONNECTION_CLOSE with an application error code and reason."""
        self.close(error_code=error_code, reason_phrase=reason)

    def shutdown(self) -> None:
        """Stop aioquic's timer: the socket is about to close (no closing period is waited)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- QUIC events in ----------------------------------------------------------------------

    def quic_event_received(self, event: QuicEvent) -> None:
        """aioquic's events, mapped onto the stream core."""
        connection = self.connection
        if isinstance(event, ConnectionTerminated):
            reason = event.reason_phrase or f"closed with error 0x{event.error_code:x}"
            connection.finish(Disconnected(reason=reason, by_peer=True))
        elif isinstance(event, StreamDataReceived):
            connection.stream_event(StreamData(event.stream_id, event.data, event.end_stream))
        elif isinstance(event, QuicStreamReset):
            connection.stream_event(StreamReset(event.stream_id, event.error_code))
        elif isinstance(event, StopSendingReceived):
            connection.stream_event(StopSending(event.stream_id, event.error_code))
        elif isinstance(event, PingAcknowledged):
            connection.path_answered()

    def error_received(self, exc: Exception) -> None:
        """The agent's connected UDP socket reports ICMP errors (port unreachable): fail at
        once rather than at the handshake timeout."""
        words = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        why = f"{words} (is the hub listening on that UDP port?)"
        self.connection.close(AppError.NO_ERROR, why)

    def peer_certificate(self) -> Any:
        """The peer's certificate (aioquic keeps it private; ``None`` before the handshake)."""
        return getattr(self._quic.tls, "_peer_certificate", None)

    def peer_chain(self) -> Any:
        """The intermediate certificates the peer sent."""
        return getattr(self._quic.tls, "_peer_certificate_chain", [])
