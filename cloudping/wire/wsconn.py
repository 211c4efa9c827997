"""One end of a WebSocket connection carrying the protocol's streams, with no I/O.

wsproto (sans-IO, h11's sibling) does RFC 6455: the HTTP upgrade, masking, fragments,
ping/pong and the close handshake. This module adds what the protocol asks of it: the
subprotocol ``cloudping/1`` (the WebSocket side of QUIC's ALPN) and, on the hub, the one path
agents dial; binary messages reassembled within a size bound and decoded into stream events
(:mod:`cloudping.wire.wsframes`); and the end of the connection as one
:class:`~cloudping.wire.connection.Disconnected`. Close codes carry the protocol's
:class:`~cloudping.wire.streams.AppError` as ``4000 + code`` (RFC 6455 section 7.4.2: 4000-4999
are for applications), a normal close is 1000.

Bytes go in with :meth:`WsEndpoint.receive_data` (``None`` when the transport ended), events
come out of :meth:`WsEndpoint.next_event`, and :meth:`WsEndpoint.data_to_send` gives what to
write, as in h11.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.extensions import Extension
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol, Opcode, RsvBits
from wsproto.utilities import RemoteProtocolError

from cloudping.wire.codec import MAX_FRAME_SIZE
from cloudping.wire.connection import Disconnected
from cloudping.wire.streams import ALPN, AppError, StreamInput
from cloudping.wire.wsframes import decode_event, encode_event

AGENT_PATH = "/agent"
"""Where the hub serves agents: ``wss://HOST:PORT/agent``."""
MESSAGE_SLACK = 4096
"""Bytes a message may hold beyond one protocol frame (its headers, a few small frames)."""
NORMAL_CLOSURE, UNSUPPORTED_DATA, MESSAGE_TOO_BIG = 1000, 1003, 1009  # RFC 6455 section 7.4.1
APP_CLOSE_BASE = 4000
MAX_REJECT_BODY = 512


@dataclass(frozen=True, slots=True)
class Opened:
    """The upgrade is done: stream events may flow."""


@dataclass(frozen=True, slots=True)
class PongReceived:
    """The peer's WebSocket stack answered one of our pings: the peer is alive."""


WsEvent = Opened | StreamInput | PongReceived | Disconnected


def close_code(error_code: int) -> int:
    """The WebSocket close code of an application error code."""
    return NORMAL_CLOSURE if error_code == AppError.NO_ERROR else APP_CLOSE_BASE + error_code


class FrameBound(Extension):
    """Refuses a frame whose header announces more than ``limit`` bytes, before any of them
    arrive: wsproto would otherwise wait for them (a header may announce 2^63 - 1 bytes).

    Not a negotiated extension: wsproto's per-frame header hook (RFC 6455 section 9) is the one
    place a server sees a frame's length, and ``enabled`` with a name no client offers keeps
    it off the upgrade's headers.
    """

    name = "cloudping-frame-bound"  # never offered by a client, so never in a response

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def enabled(self) -> bool:
        return True

    def offer(self) -> bool:
        return False

    def frame_inbound_header(
        self,
        proto: FrameDecoder | FrameProtocol,
        opcode: Opcode,
        rsv: RsvBits,
        payload_length: int,
    ) -> CloseReason | RsvBits:
        if payload_length > self.limit:
            return CloseReason.MESSAGE_TOO_BIG
        return RsvBits(False, False, False)


class WsEndpoint:
    """One end (client = agent, server = hub) of a WebSocket carrying stream events.

    Args:
        client: the agent's end (it sends the upgrade request).
        path: the one path served (hub) or asked for (agent).
        host: the ``Host`` header the agent sends (``HOST:PORT``).
        max_frame_size: the protocol's frame bound; a message may exceed it by
            :data:`MESSAGE_SLACK` only.
    """

    def __init__(
        self,
        *,
        client: bool,
        path: str = AGENT_PATH,
        host: str = "",
        max_frame_size: int = MAX_FRAME_SIZE,
    ) -> None:
        self.client, self.path, self.host = client, path, host
        self.max_message_size = max_frame_size + MESSAGE_SLACK
        self.pongs = 0  # answers to our pings (the path is alive)
        self._ws = WSConnection(ConnectionType.CLIENT if client else ConnectionType.SERVER)
        self._events: deque[WsEvent | bytes] = deque()  # bytes: a message, decoded when taken
        self._outbox = bytearray()
        self._message = bytearray()
        self._reject: tuple[int, bytearray] | None = None
        self._ended = False

    @property
    def open(self) -> bool:
        """Whether stream events may be sent."""
        return not self._ended and self._ws.state is ConnectionState.OPEN

    # -- bytes in, events out ----------------------------------------------------------------

    def start(self) -> None:
        """Queue the upgrade request (agent)."""
        request = Request(host=self.host, target=self.path, subprotocols=[ALPN])
        self._outbox += self._ws.send(request)

    def receive_data(self, data: bytes | None) -> None:
        """Take bytes from the peer; ``None``: the transport ended (no more will come)."""
        if self._ended:
            return
        if data is None:
            self._end("the connection was lost", by_peer=True)
            return
        try:
            self._ws.receive_data(data)
        except RemoteProtocolError as exc:
            if exc.event_hint is not None and not self.client:
                self._outbox += self._ws.send(exc.event_hint)
            self._end(f"not a WebSocket upgrade: {exc}", by_peer=True)
            return
        for event in self._ws.events():
            if self._ended:
                break
            self._take(event)

    def next_event(self) -> WsEvent | None:
        """The next event; ``None`` when there is none.

        Raises:
            WireError: a message that is not a stream event (the connection's protocol error).
        """
        event = self._events.popleft() if self._events else None
        if isinstance(event, bytes):
            return decode_event(event)
        return event

    def data_to_send(self) -> bytes:
        """What to write to the transport now; empties the outbox."""
        data = bytes(self._outbox)
        self._outbox.clear()
        return data

    # -- sending -----------------------------------------------------------------------------

    def send_event(self, event: StreamInput) -> None:
        """Queue one stream event as one binary message (dropped once the connection ends)."""
        if self.open:
            self._outbox += self._ws.send(BytesMessage(data=encode_event(event)))

    def ping(self) -> None:
        """Queue a ping (the peer's WebSocket stack answers it)."""
        if self.open:
            self._outbox += self._ws.send(Ping(payload=b"cloudping"))

    def close(self, error_code: int, reason: str) -> None:
        """Queue the close frame (when the upgrade is done) and end the connection."""
        if self.open:
            # wsproto cuts the reason to the 123 bytes a close frame holds (RFC 6455 5.5).
            self._outbox += self._ws.send(CloseConnection(close_code(error_code), reason))
        self._ended = True

    # -- what wsproto said -------------------------------------------------------------------

    def _take(self, event: Event) -> None:
        if isinstance(event, Request):
            self._answer_upgrade(event)
        elif isinstance(event, AcceptConnection):
            self._accepted(event)
        elif isinstance(event, RejectConnection | RejectData):
            self._rejected(event)
        elif isinstance(event, BytesMessage):
            self._fragment(event)
        elif isinstance(event, TextMessage):
            self._fail(UNSUPPORTED_DATA, "the peer sent text (the protocol's messages are binary)")
        elif isinstance(event, Ping):
            self._outbox += self._ws.send(event.response())
        elif isinstance(event, Pong):
            self.pongs += 1
            self._events.append(PongReceived())
        elif isinstance(event, CloseConnection):
            self._closed_by_peer(event)

    def _answer_upgrade(self, request: Request) -> None:
        if request.target.partition("?")[0] != self.path:
            self._refuse(404, f"no agent endpoint at {request.target}; agents dial {self.path}")
        elif ALPN not in request.subprotocols:
            self._refuse(400, f"the WebSocket subprotocol {ALPN} is required")
        else:
            accept = AcceptConnection(
                subprotocol=ALPN, extensions=[FrameBound(self.max_message_size)]
            )
            self._outbox += self._ws.send(accept)
            self._events.append(Opened())

    def _refuse(self, status: int, words: str) -> None:
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        self._outbox += self._ws.send(RejectConnection(status, headers, has_body=True))
        body = f"cloudping: {words}\n".encode()
        self._outbox += self._ws.send(RejectData(data=body, body_finished=True))
        self._end(f"upgrade refused: {words}", by_peer=False)

    def _accepted(self, accept: AcceptConnection) -> None:
        if accept.subprotocol != ALPN:
            reason = f"the hub did not choose the subprotocol {ALPN}"
            self._fail(close_code(AppError.PROTOCOL_ERROR), reason)
        else:
            self._events.append(Opened())

    def _rejected(self, event: RejectConnection | RejectData) -> None:
        if isinstance(event, RejectConnection):
            self._reject = (event.status_code, bytearray())
            if event.has_body:
                return
        elif self._reject is not None:
            self._reject[1].extend(event.data[: MAX_REJECT_BODY - len(self._reject[1])])
            if not event.body_finished:
                return
        status, body = self._reject or (0, bytearray())
        text = body.decode("utf-8", "replace").strip()
        words = f"HTTP {status} instead of a WebSocket{': ' + text if text else ''}"
        self._end(words, by_peer=True)

    def _fragment(self, message: BytesMessage) -> None:
        self._message += message.data
        if len(self._message) > self.max_message_size:
            self._fail(MESSAGE_TOO_BIG, self._too_big)
        elif message.message_finished:
            self._events.append(bytes(self._message))  # decoded when taken: errors go there
            self._message.clear()

    @property
    def _too_big(self) -> str:
        return f"the peer sent a message over {self.max_message_size} bytes"

    def _closed_by_peer(self, event: CloseConnection) -> None:
        if self._ws.state is ConnectionState.OPEN:  # a framing error wsproto found
            if event.code == MESSAGE_TOO_BIG:  # FrameBound's: wsproto's words say nothing
                self._fail(event.code, self._too_big)
            else:
                self._fail(event.code, f"the peer broke the WebSocket framing: {event.reason}")
            return
        if self._ws.state is ConnectionState.REMOTE_CLOSING:
            self._outbox += self._ws.send(event.response())
        self._end(event.reason or f"closed with code {event.code}", by_peer=True)

    def _fail(self, code: int, reason: str) -> None:
        """The peer broke the WebSocket protocol: close, saying why."""
        if self.open:
            self._outbox += self._ws.send(CloseConnection(code, reason))
        self._end(reason, by_peer=False)

    def _end(self, reason: str, *, by_peer: bool) -> None:
        if not self._ended:
            self._ended = True
            self._events.append(Disconnected(reason=reason, by_peer=by_peer))
