"""The WebSocket binding: a TLS stream's bytes through :class:`WsEndpoint` onto the shared
stream core.

:class:`WsBinding` is an asyncio protocol, as aioquic's is for QUIC: bytes from the transport
go into the sans-IO :class:`~cloudping.wire.wsconn.WsEndpoint`, its stream events into the
:class:`~cloudping.transport.core.WireConnection` attached to it, and what the endpoint queued
is written once per loop turn. Job streams the hub opens are numbered as QUIC numbers them
(1, 5, 9, ...).
"""

from __future__ import annotations

import asyncio
from typing import cast

from cloudping.transport.core import BindingBase
from cloudping.wire.connection import Disconnected
from cloudping.wire.errors import WireError
from cloudping.wire.streams import (
    FIRST_JOB_STREAM,
    JOB_STREAM_STEP,
    StopSending,
    StreamData,
    StreamReset,
)
from cloudping.wire.wsconn import Opened, PongReceived, WsEndpoint, WsEvent


class WsBinding(BindingBase, asyncio.Protocol):
    """One WebSocket connection's asyncio protocol, carrying one
    :class:`~cloudping.transport.core.WireConnection`.

    Args:
        loop: the event loop.
        endpoint: the sans-IO WebSocket end (client for the agent, server for the hub).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, endpoint: WsEndpoint) -> None:
        self.endpoint = endpoint
        self.opened: asyncio.Future[None] = loop.create_future()  # the upgrade is done
        self._transport: asyncio.Transport | None = None
        self._next_job_stream = FIRST_JOB_STREAM

    @property
    def transport(self) -> asyncio.Transport:
        """The TLS transport (once connected)."""
        assert self._transport is not None, "not connected"
        return self._transport

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The TLS handshake is done (asyncio calls this after it)."""
        self._transport = cast("asyncio.Transport", transport)
        peer = transport.get_extra_info("peername")
        self._peer_host = str(peer[0]) if peer else None
        if self.connection.closed.done():  # closed during the TLS handshake (hub stopping)
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        """Bytes from the peer."""
        self.endpoint.receive_data(data)
        self._take_events()

    def eof_received(self) -> bool | None:
        """The peer finished its side: the connection is over (returning None closes ours)."""
        self.endpoint.receive_data(None)
        self._take_events()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """The transport is gone (a reset, or after our own close)."""
        words = f"the connection was lost: {exc}" if exc else "the connection was lost"
        self.connection.finish(Disconnected(reason=words, by_peer=True))
        self.connection.stop_timers()

    # -- the stream core's primitives --------------------------------------------------------

    def send_stream(self, stream_id: int, data: bytes, *, end: bool) -> None:
        """A DATA or END message."""
        self.endpoint.send_event(StreamData(stream_id, data, end))

    def stop_stream(self, stream_id: int, error_code: int) -> None:
        """A STOP message: the peer answers with a reset of its side."""
        self.endpoint.send_event(StopSending(stream_id, error_code))

    def send_keepalive(self) -> None:
        """A WebSocket ping (the peer's stack answers with a pong)."""
        self.endpoint.ping()

    def next_stream_id(self) -> int:
        """1, 5, 9, ...: the ids QUIC gives the streams a server opens."""
        stream_id = self._next_job_stream
        self._next_job_stream += JOB_STREAM_STEP
        return stream_id

    def transmit(self) -> None:
        """Write what the endpoint queued."""
        data = self.endpoint.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def close_transport(self, error_code: int, reason: str) -> None:
        """The close frame (after everything queued), then the TLS connection's end."""
        self.endpoint.close(error_code, reason)
        self.transmit()
        if self._transport is not None:
            self._transport.close()  # asyncio writes what is buffered first

    def shutdown(self) -> None:
        """Nothing of its own to stop: asyncio's TCP transport keeps no timer of ours."""

    # -- events in ---------------------------------------------------------------------------

    def _take_events(self) -> None:
        connection = self.connection
        while (event := self._next_event()) is not None:
            if isinstance(event, Opened):
                if not self.opened.done():
                    self.opened.set_result(None)
            elif isinstance(event, PongReceived):
                connection.path_answered()
            elif isinstance(event, Disconnected):
                connection.finish(event)
                self.transmit()  # the answer to a close, a refused upgrade
                if self._transport is not None:
                    self._transport.close()
            else:
                if isinstance(event, StopSending):
                    self._answer_stop(event)
                connection.stream_event(event)
        self.transmit()

    def _next_event(self) -> WsEvent | None:
        while True:
            try:
                return self.endpoint.next_event()
            except WireError as exc:  # a message that is no stream event
                if not self.connection.closed.done():
                    self.connection.protocol_error(exc)

    def _answer_stop(self, event: StopSending) -> None:
        """What QUIC stacks do by themselves (RFC 9000 section 3.5): reset our side."""
        stream = self.connection.stream(event.stream_id)
        if stream is not None and not stream.send_closed and not self.connection.closed.done():
            self.endpoint.send_event(StreamReset(event.stream_id, event.error_code))
