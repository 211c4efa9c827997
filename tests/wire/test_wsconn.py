"""The sans-IO WebSocket end without a network: two ends (or one and a raw wsproto peer)
exchange bytes in memory, whole or one byte at a time."""

from __future__ import annotations

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from cloudping.wire import Disconnected, WireError
from cloudping.wire.streams import (
    ALPN,
    AppError,
    StopSending,
    StreamData,
    StreamInput,
    StreamReset,
)
from cloudping.wire.wsconn import Opened, PongReceived, WsEndpoint, WsEvent, close_code
from cloudping.wire.wsframes import encode_event

EXCHANGE_ROUNDS = 1000  # far more than any exchange here takes; a ping-pong loop hits it


def feed(end: WsEndpoint, data: bytes, *, one_byte_at_a_time: bool = False) -> None:
    if one_byte_at_a_time:
        for index in range(len(data)):
            end.receive_data(data[index : index + 1])
    else:
        end.receive_data(data)


def exchange(a: WsEndpoint, b: WsEndpoint, *, one_byte_at_a_time: bool = False) -> None:
    """Move what each end wrote to the other until neither has more (at most
    :data:`EXCHANGE_ROUNDS` rounds).

    Raises:
        AssertionError: the ends still had bytes for each other after that many rounds.
    """
    for _ in range(EXCHANGE_ROUNDS):
        moved = False
        for source, target in ((a, b), (b, a)):
            if data := source.data_to_send():
                feed(target, data, one_byte_at_a_time=one_byte_at_a_time)
                moved = True
        if not moved:
            return
    raise AssertionError("no quiescence")


def events(end: WsEndpoint) -> list[WsEvent]:
    taken = []
    while (event := end.next_event()) is not None:
        taken.append(event)
    return taken


def opened_pair(*, one_byte_at_a_time: bool = False) -> tuple[WsEndpoint, WsEndpoint]:
    """An agent's end and a hub's end after the upgrade."""
    agent = WsEndpoint(client=True, host="127.0.0.1:8443")
    hub = WsEndpoint(client=False)
    agent.start()
    exchange(agent, hub, one_byte_at_a_time=one_byte_at_a_time)
    assert events(agent) == [Opened()]
    assert events(hub) == [Opened()]
    return agent, hub


class RawPeer:
    """A wsproto client that does what our end never does (fragments, text, odd requests)."""

    def __init__(self, hub: WsEndpoint, request: Request | None = None) -> None:
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.hub = hub
        self.received: list[Event] = []
        self.send(request or Request(host="hub", target="/agent", subprotocols=[ALPN]))

    def send(self, event: Event) -> None:
        self.hub.receive_data(self.ws.send(event))
        self.ws.receive_data(self.hub.data_to_send())
        self.received += list(self.ws.events())


def test_the_upgrade_and_stream_events_survive_being_fed_one_byte_at_a_time() -> None:
    agent, hub = opened_pair(one_byte_at_a_time=True)
    sent: list[StreamInput] = [
        StreamData(0, b"hello frame"),
        StreamData(1, b"", end=True),
        StopSending(5, 3),
    ]
    for event in sent:
        agent.send_event(event)
    hub.send_event(StreamReset(9, AppError.CANCELLED))
    exchange(agent, hub, one_byte_at_a_time=True)
    assert events(hub) == sent
    assert events(agent) == [StreamReset(9, AppError.CANCELLED)]


def test_the_agent_asks_for_the_path_with_the_subprotocol_and_host() -> None:
    agent = WsEndpoint(client=True, path="/agent", host="hub.example:8443")
    agent.start()
    request = agent.data_to_send()
    assert request.startswith(b"GET /agent HTTP/1.1\r\n")
    assert b"Host: hub.example:8443\r\n" in request
    assert b"Sec-WebSocket-Protocol: cloudping/1\r\n" in request


def test_another_path_gets_a_404_that_names_the_agents_path() -> None:
    agent = WsEndpoint(client=True, path="/other", host="hub:1")
    hub = WsEndpoint(client=False)
    agent.start()
    exchange(agent, hub)
    words = "no agent endpoint at /other; agents dial /agent"
    assert events(hub) == [Disconnected(f"upgrade refused: {words}", by_peer=False)]
    assert events(agent) == [
        Disconnected(f"HTTP 404 instead of a WebSocket: cloudping: {words}", by_peer=True)
    ]


def test_an_upgrade_without_the_subprotocol_is_refused_with_400() -> None:
    hub = WsEndpoint(client=False)
    peer = RawPeer(hub, Request(host="hub", target="/agent"))
    (reject, *_) = peer.received
    assert isinstance(reject, RejectConnection)
    assert reject.status_code == 400
    body = b"".join(e.data for e in peer.received if isinstance(e, RejectData))
    assert body == b"cloudping: the WebSocket subprotocol cloudping/1 is required\n"
    assert events(hub) == [
        Disconnected("upgrade refused: the WebSocket subprotocol cloudping/1 is required", False)
    ]


def test_a_plain_http_request_is_refused_and_ends_the_connection() -> None:
    hub = WsEndpoint(client=False)
    hub.receive_data(b"GET / HTTP/1.1\r\nHost: hub\r\n\r\n")
    assert hub.data_to_send().startswith(b"HTTP/1.1 400 ")
    (gone,) = events(hub)
    assert isinstance(gone, Disconnected)
    assert gone.reason.startswith("not a WebSocket upgrade: Missing header, 'Connection: Upgrade'")


def test_a_fragmented_message_is_one_stream_event() -> None:
    hub = WsEndpoint(client=False)
    peer = RawPeer(hub)
    wire = encode_event(StreamData(0, b"0123456789"))
    peer.send(BytesMessage(data=wire[:3], message_finished=False))
    peer.send(BytesMessage(data=wire[3:8], message_finished=False))
    assert events(hub) == [Opened()]
    peer.send(BytesMessage(data=wire[8:], message_finished=True))
    assert events(hub) == [StreamData(0, b"0123456789")]


def test_a_message_beyond_the_bound_closes_with_1009_before_it_is_whole() -> None:
    hub = WsEndpoint(client=False, max_frame_size=1000)
    peer = RawPeer(hub)
    events(hub)
    peer.send(BytesMessage(data=bytes(hub.max_message_size + 1), message_finished=False))
    reason = f"the peer sent a message over {hub.max_message_size} bytes"
    assert events(hub) == [Disconnected(reason, by_peer=False)]
    assert peer.received[-1] == CloseConnection(1009, reason)


def test_a_text_message_closes_with_1003() -> None:
    hub = WsEndpoint(client=False)
    peer = RawPeer(hub)
    events(hub)
    peer.send(TextMessage(data="hello"))
    reason = "the peer sent text (the protocol's messages are binary)"
    assert events(hub) == [Disconnected(reason, by_peer=False)]
    assert peer.received[-1] == CloseConnection(1003, reason)


def test_a_message_that_is_no_stream_event_is_the_links_protocol_error() -> None:
    hub = WsEndpoint(client=False)
    peer = RawPeer(hub)
    events(hub)
    peer.send(BytesMessage(data=b"\x00\x00"))
    peer.send(BytesMessage(data=encode_event(StreamData(0, b"next"))))
    with pytest.raises(WireError, match="shorter than the 5-byte stream header"):
        hub.next_event()
    assert events(hub) == [StreamData(0, b"next")]


def test_a_ping_is_answered_and_the_answer_counted() -> None:
    agent, hub = opened_pair()
    hub.ping()
    exchange(agent, hub)
    assert hub.pongs == 1
    assert events(hub) == [PongReceived()]
    assert events(agent) == []


@pytest.mark.parametrize(
    ("error", "code"), [(AppError.NO_ERROR, 1000), (AppError.REFUSED, 4002), (0x5, 4005)]
)
def test_a_close_carries_the_application_error_as_4000_plus_code(error: int, code: int) -> None:
    assert close_code(error) == code
    hub = WsEndpoint(client=False)
    peer = RawPeer(hub)
    hub.close(error, "refused: unauthorized")
    peer.ws.receive_data(hub.data_to_send())
    assert list(peer.ws.events()) == [CloseConnection(code, "refused: unauthorized")]


def test_the_peers_close_is_answered_and_reported_with_its_reason() -> None:
    agent, hub = opened_pair()
    agent.close(AppError.REFUSED, "refused: name_in_use")
    exchange(agent, hub)
    assert events(hub) == [Disconnected("refused: name_in_use", by_peer=True)]
    assert events(agent) == []  # it closed itself: the binding reports that
    hub.send_event(StreamData(0, b"late"))
    assert hub.data_to_send() == b""


def test_the_transports_end_is_a_lost_connection_and_nothing_after_it_counts() -> None:
    agent, hub = opened_pair()
    agent.send_event(StreamData(0, b"after"))
    late = agent.data_to_send()
    hub.receive_data(None)
    hub.receive_data(late)
    assert events(hub) == [Disconnected("the connection was lost", by_peer=True)]


def test_an_agent_refuses_a_hub_that_did_not_choose_the_subprotocol() -> None:
    agent = WsEndpoint(client=True, host="hub:1")
    agent.start()
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(agent.data_to_send())
    assert isinstance(next(server.events()), Request)
    agent.receive_data(server.send(AcceptConnection()))
    reason = "the hub did not choose the subprotocol cloudping/1"
    assert events(agent) == [Disconnected(reason, by_peer=False)]


def test_broken_framing_closes_with_wsprotos_code_and_says_so() -> None:
    hub = WsEndpoint(client=False)
    peer = RawPeer(hub)
    events(hub)
    hub.receive_data(b"\x82\x01x")  # a client's frame must be masked (RFC 6455 section 5.1)
    (gone,) = events(hub)
    assert isinstance(gone, Disconnected)
    assert not gone.by_peer
    assert gone.reason.startswith("the peer broke the WebSocket framing: ")
    peer.ws.receive_data(hub.data_to_send())
    (close,) = list(peer.ws.events())
    assert isinstance(close, CloseConnection)
    assert close.code == 1002


def test_a_frame_announcing_more_than_the_bound_closes_with_1009_before_its_payload() -> None:
    hub = WsEndpoint(client=False)
    RawPeer(hub)
    events(hub)
    hub.data_to_send()
    # A masked binary frame whose 8-byte length is 2^63 - 1; not one payload byte follows.
    hub.receive_data(b"\x82\xff" + (2**63 - 1).to_bytes(8, "big") + b"mask")
    reason = f"the peer sent a message over {hub.max_message_size} bytes"
    assert events(hub) == [Disconnected(reason, by_peer=False)]
    assert hub.data_to_send()[:4] == b"\x88" + bytes([2 + len(reason)]) + (1009).to_bytes(2, "big")
