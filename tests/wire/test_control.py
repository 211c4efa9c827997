"""The control stream's machine: the state table and the timers, with literal times."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudping.wire import (
    Attributes,
    ControlChannel,
    ControlState,
    Expired,
    Heartbeat,
    HeartbeatAck,
    JobEnd,
    KeepaliveDue,
    LocalProtocolError,
    Refuse,
    Role,
    WireError,
    encode,
)

from .helpers import ACCEPT, ATTRIBUTES, EVENT, HELLO, control_events, open_pair

REFUSE = Refuse(code="unauthorized", reason="bad token")


# -- the state table -----------------------------------------------------------------------------


def test_a_hello_accepted_opens_both_sides() -> None:
    hub = ControlChannel(Role.HUB, now=0.0)
    agent = ControlChannel(Role.AGENT, now=0.0)
    hub.receive_data(agent.send(HELLO, 0.0), 0.0)
    assert control_events(hub) == [HELLO]
    assert (hub.state, agent.state) == (ControlState.HELLO_SENT, ControlState.HELLO_SENT)
    agent.receive_data(hub.send(ACCEPT, 0.1), 0.1)
    assert control_events(agent) == [ACCEPT]
    assert (hub.state, agent.state) == (ControlState.OPEN, ControlState.OPEN)
    assert hub.hello == HELLO
    assert agent.accepted == ACCEPT


@pytest.mark.parametrize(
    "first", [Heartbeat(seq=1, sent_at=0), Attributes(attributes=ATTRIBUTES)], ids=type
)
def test_before_hello_the_hub_accepts_nothing_but_hello(first: Heartbeat | Attributes) -> None:
    hub = ControlChannel(Role.HUB, now=0.0)
    with pytest.raises(WireError, match=r"the agent may not send .* in state hello_wait") as caught:
        hub.receive_data(encode(first), 0.0)
    assert caught.value.kind == "unexpected_message"
    assert hub.state is ControlState.ERROR


def test_before_the_accept_nothing_the_agent_announces_counts() -> None:
    hub = ControlChannel(Role.HUB, now=0.0)
    data = encode(HELLO) + encode(Attributes(attributes=ATTRIBUTES))
    with pytest.raises(WireError, match="may not send attributes in state hello_sent"):
        hub.receive_data(data, 0.0)
    assert control_events(hub) == [HELLO]  # what came before the fault is still told


def test_a_second_hello_is_a_protocol_error() -> None:
    hub, _ = open_pair()
    with pytest.raises(WireError, match="may not send hello in state open"):
        hub.receive_data(encode(HELLO), 1.0)


def test_a_job_message_on_the_control_stream_is_a_protocol_error() -> None:
    hub, _ = open_pair()
    with pytest.raises(WireError, match="job_event belongs on a job stream"):
        hub.receive_data(encode(EVENT), 1.0)


def test_the_agent_cannot_send_before_its_hello_is_accepted() -> None:
    agent = ControlChannel(Role.AGENT, now=0.0)
    agent.send(HELLO, 0.0)
    with pytest.raises(LocalProtocolError, match="the agent may not send heartbeat"):
        agent.send(Heartbeat(seq=1, sent_at=0), 0.0)


def test_only_the_hub_accepts() -> None:
    agent = ControlChannel(Role.AGENT, now=0.0)
    with pytest.raises(LocalProtocolError, match="the agent may not send accept"):
        agent.send(ACCEPT, 0.0)


def test_a_refuse_closes_the_connection_on_both_sides() -> None:
    hub = ControlChannel(Role.HUB, now=0.0)
    agent = ControlChannel(Role.AGENT, now=0.0)
    hub.receive_data(agent.send(HELLO, 0.0), 0.0)
    agent.receive_data(hub.send(REFUSE, 0.0), 0.0)
    assert control_events(agent) == [REFUSE]
    assert hub.state is agent.state is ControlState.CLOSED
    assert agent.refused == REFUSE


def test_after_a_refuse_nothing_the_agent_sends_counts() -> None:
    hub, agent = open_pair()
    in_flight = agent.send(Heartbeat(seq=1, sent_at=0), 1.0)
    agent.receive_data(hub.send(REFUSE, 1.0), 1.0)
    hub.receive_data(in_flight + b"garbage", 1.1)  # neither an event nor an error
    assert control_events(hub) == []
    with pytest.raises(LocalProtocolError):
        agent.send(Heartbeat(seq=2, sent_at=0), 1.2)


def test_frames_after_a_refuse_in_the_same_read_are_ignored() -> None:
    hub = ControlChannel(Role.HUB, now=0.0)
    agent = ControlChannel(Role.AGENT, now=0.0)
    hub.receive_data(agent.send(HELLO, 0.0), 0.0)
    agent.receive_data(hub.send(REFUSE, 0.0) + encode(ACCEPT), 0.0)
    assert control_events(agent) == [REFUSE]


def test_after_a_protocol_error_the_hub_may_still_say_why() -> None:
    hub = ControlChannel(Role.HUB, now=0.0)
    with pytest.raises(WireError):
        hub.receive_data(b"\x00\x00\x00\x01\x7f", 0.0)
    data = hub.send(Refuse(code="protocol_error", reason="unknown message type 0x7f"), 0.0)
    assert data.startswith(b"\x00\x00\x00")
    assert hub.state is ControlState.CLOSED


def test_attributes_after_the_accept_reach_the_hub() -> None:
    hub, agent = open_pair()
    update = Attributes(attributes=ATTRIBUTES)
    hub.receive_data(agent.send(update, 1.0), 1.0)
    assert control_events(hub) == [update]


def test_the_hub_echoes_a_heartbeat_by_itself() -> None:
    hub, agent = open_pair()
    beat = Heartbeat(seq=1, sent_at=1_000_000)
    hub.receive_data(agent.send(beat, 1.0), 1.0)
    assert control_events(hub) == [beat]
    echo = hub.data_to_send()
    assert echo == encode(HeartbeatAck(seq=1, sent_at=1_000_000))
    assert hub.data_to_send() == b""
    agent.receive_data(echo, 1.25)
    assert agent.rtt == pytest.approx(0.25)


def test_an_echo_of_a_heartbeat_never_sent_is_a_protocol_error() -> None:
    _, agent = open_pair()
    with pytest.raises(WireError, match="echo of heartbeat 7, which was never sent"):
        agent.receive_data(encode(HeartbeatAck(seq=7, sent_at=0)), 1.0)


def test_a_control_stream_ending_inside_a_frame_is_truncated() -> None:
    hub = ControlChannel(Role.HUB, now=0.0)
    hub.receive_data(encode(HELLO)[:10], 0.0)
    with pytest.raises(WireError, match="inside a frame") as caught:
        hub.receive_end()
    assert caught.value.kind == "truncated"


# -- timers (ACCEPT: heartbeat every 10 s, idle after 30 s) ----------------------------------


def test_a_hello_must_be_accepted_within_the_hello_timeout() -> None:
    hub = ControlChannel(Role.HUB, now=100.0, hello_timeout=5.0)
    assert hub.next_timer() == 105.0
    hub.handle_timer(104.9)
    assert control_events(hub) == []
    hub.handle_timer(105.0)
    assert control_events(hub) == [Expired("hello", "no hello was accepted within 5 s")]
    assert hub.state is ControlState.CLOSED
    assert hub.next_timer() is None


def test_the_agent_gives_up_on_a_hub_that_never_answers_its_hello() -> None:
    agent = ControlChannel(Role.AGENT, now=0.0, hello_timeout=10.0)
    agent.send(HELLO, 0.0)
    agent.handle_timer(10.0)
    assert [type(e) for e in control_events(agent)] == [Expired]


def test_the_agent_sends_a_heartbeat_each_interval() -> None:
    _, agent = open_pair(now=0.0)
    assert agent.next_timer() == 10.0
    agent.handle_timer(9.999)
    assert agent.data_to_send() == b""
    agent.handle_timer(10.0)
    assert agent.data_to_send() == encode(Heartbeat(seq=1, sent_at=10_000_000))
    assert agent.next_timer() == 20.0
    agent.handle_timer(20.5)  # a late timer: the next beat counts from when it ran
    assert agent.data_to_send() == encode(Heartbeat(seq=2, sent_at=20_500_000))
    assert agent.next_timer() == 30.0  # the idle deadline (no echo came) is next


def test_the_hub_drops_a_silent_agent_after_the_idle_timeout() -> None:
    hub, _ = open_pair(now=0.0)
    hub.handle_timer(29.9)
    assert not any(isinstance(e, Expired) for e in control_events(hub))
    hub.handle_timer(30.0)
    expired = [e for e in control_events(hub) if isinstance(e, Expired)]
    assert expired == [Expired("idle", "nothing heard from the agent for 30 s")]
    assert hub.state is ControlState.CLOSED


def test_traffic_postpones_the_idle_timeout() -> None:
    hub, agent = open_pair(now=0.0)
    hub.receive_data(agent.send(Heartbeat(seq=1, sent_at=0), 25.0), 25.0)
    hub.handle_timer(30.0)
    assert not any(isinstance(e, Expired) for e in control_events(hub))
    assert hub.next_timer() is not None
    hub.handle_timer(55.0)
    assert any(isinstance(e, Expired) for e in control_events(hub))


def test_half_a_frame_is_traffic_too() -> None:
    hub, agent = open_pair(now=0.0)
    hub.receive_data(agent.send(Heartbeat(seq=1, sent_at=0), 29.0)[:3], 29.0)
    hub.handle_timer(30.0)
    assert hub.state is ControlState.OPEN


def test_the_agent_drops_a_hub_that_stops_echoing() -> None:
    hub, agent = open_pair(now=0.0)
    agent.handle_timer(10.0)
    hub.receive_data(agent.data_to_send(), 10.0)
    agent.receive_data(hub.data_to_send(), 10.1)  # the echo: traffic from the hub
    agent.handle_timer(30.0)
    assert agent.state is ControlState.OPEN
    agent.handle_timer(40.1)
    assert Expired("idle", "nothing heard from the hub for 30 s") in control_events(agent)


def test_the_hub_asks_for_a_keepalive_when_a_heartbeat_is_half_an_interval_late() -> None:
    hub, agent = open_pair(now=0.0)
    hub.handle_timer(14.9)
    assert control_events(hub) == []
    hub.handle_timer(15.0)
    assert control_events(hub) == [KeepaliveDue()]
    hub.receive_data(agent.send(Heartbeat(seq=1, sent_at=0), 20.0), 20.0)
    hub.handle_timer(34.9)
    assert control_events(hub) == [Heartbeat(seq=1, sent_at=0)]
    hub.handle_timer(35.0)  # 1.5 intervals after the heartbeat
    assert control_events(hub) == [KeepaliveDue()]


def test_while_jobs_run_the_hub_probes_every_half_second_and_gives_up_after_2_s() -> None:
    hub, _ = open_pair(now=0.0)
    hub.set_busy(True, 5.0)
    assert hub.next_timer() == 5.0
    probes = 0
    for now in (5.0, 5.5, 6.0, 6.5, 6.9):
        hub.handle_timer(now)
        probes += control_events(hub).count(KeepaliveDue())
    assert (probes, hub.state) == (4, ControlState.OPEN)
    hub.handle_timer(7.0)  # 2 s without a byte or an answer, far before the 30 s idle timeout
    reason = "the agent answered no probe for 2 s while running jobs"
    assert control_events(hub)[-1] == Expired("unanswered", reason)
    assert hub.state is ControlState.CLOSED
    assert hub.next_timer() is None


def test_answers_to_the_probes_keep_a_busy_agent() -> None:
    hub, _ = open_pair(now=0.0)
    hub.set_busy(True, 5.0)
    for now in (5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0):
        hub.handle_timer(now)
        hub.path_answered(now + 0.01)
    hub.handle_timer(9.5)
    assert hub.state is ControlState.OPEN
    hub.handle_timer(10.01)  # 2 s after the last answer
    assert isinstance(control_events(hub)[-1], Expired)


def test_a_busy_agent_heard_often_is_never_probed() -> None:
    hub, _ = open_pair(now=0.0)
    hub.set_busy(True, 5.0)
    hub.handle_timer(5.0)
    assert control_events(hub) == [KeepaliveDue()]  # the first probe, at once
    for now in (5.4, 5.8, 6.2, 6.6, 7.0, 7.4, 7.8):  # a job's events every 0.4 s
        hub.path_answered(now)
        hub.handle_timer(now + 0.39)
    assert control_events(hub) == []
    hub.handle_timer(8.3)  # 0.5 s of silence: probed
    assert control_events(hub) == [KeepaliveDue()]


def test_an_idle_agent_is_not_probed_and_nothing_but_the_idle_timeout_drops_it() -> None:
    hub, _ = open_pair(now=0.0)
    hub.set_busy(True, 5.0)
    hub.set_busy(False, 5.1)
    hub.handle_timer(14.9)
    assert control_events(hub) == []
    assert hub.state is ControlState.OPEN
    hub.handle_timer(15.0)
    assert control_events(hub) == [KeepaliveDue()]  # the heartbeat keepalive, as before


def test_only_the_hub_watches_busy_connections() -> None:
    _, agent = open_pair(now=0.0)
    agent.set_busy(True, 5.0)
    assert agent.next_timer() == 10.0  # its own heartbeat, nothing more


def test_a_refused_agent_gets_a_linger_before_the_hub_closes() -> None:
    hub = ControlChannel(Role.HUB, now=0.0, linger=2.0)
    hub.receive_data(encode(HELLO), 0.0)
    hub.send(REFUSE, 1.0)
    assert hub.next_timer() == 3.0
    hub.handle_timer(3.0)
    assert control_events(hub)[-1] == Expired(
        "linger", "the refused agent did not close the connection"
    )


def test_timers_stop_after_a_protocol_error() -> None:
    hub, _ = open_pair(now=0.0)
    with pytest.raises(WireError):
        hub.receive_data(encode(JobEnd(job_id="j", status="completed")), 1.0)
    assert hub.next_timer() is None


# -- anything from the network -------------------------------------------------------------


@given(st.lists(st.binary(max_size=48), max_size=6), st.sampled_from(list(Role)))
def test_receive_data_raises_wire_error_or_nothing(chunks: list[bytes], role: Role) -> None:
    channel = ControlChannel(role, now=0.0)
    if role is Role.AGENT:
        channel.send(HELLO, 0.0)
    try:
        for at, chunk in enumerate(chunks):
            channel.receive_data(chunk, float(at))
            channel.handle_timer(float(at))
            while channel.next_event() is not None:
                pass
    except WireError:
        assert channel.state is ControlState.ERROR


@given(st.lists(st.sampled_from(range(6)), max_size=12), st.binary(max_size=16))
def test_valid_frames_in_any_order_give_events_or_wire_errors(
    order: list[int], junk: bytes
) -> None:
    frames = [
        encode(m)
        for m in (
            HELLO,
            ACCEPT,
            REFUSE,
            Heartbeat(seq=1, sent_at=0),
            HeartbeatAck(seq=1, sent_at=0),
        )
    ] + [junk]
    for role in Role:
        channel = ControlChannel(role, now=0.0)
        with contextlib.suppress(WireError):
            channel.receive_data(b"".join(frames[i] for i in order), 0.0)
