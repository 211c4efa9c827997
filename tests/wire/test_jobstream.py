"""One job's stream: offer, events, end, cancel, and the stream's own ends."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudping.wire import (
    Cancel,
    JobAborted,
    JobChannel,
    JobEnd,
    JobEvent,
    JobMessage,
    JobState,
    LocalProtocolError,
    Role,
    WireError,
    encode,
)

from .helpers import EVENT, HELLO, OFFER, job_events, running_pair

END = JobEnd(job_id="j1", status="completed")
CANCEL = Cancel(job_id="j1", reason="caller left")


def test_an_offer_then_three_events_and_an_end_arrive_in_order() -> None:
    hub, agent = JobChannel(Role.HUB), JobChannel(Role.AGENT)
    agent.receive_data(hub.send(OFFER))
    assert job_events(agent) == [OFFER]
    events = [JobEvent(job_id="j1", event={"type": "timeout", "seq": n}) for n in (1, 2, 3)]
    reports: list[JobMessage] = [*events, END]
    hub.receive_data(b"".join(agent.send(message) for message in reports))
    assert job_events(hub) == [*events, END]
    assert hub.state is agent.state is JobState.DONE
    assert hub.over


def test_the_offer_binds_the_stream_to_its_job() -> None:
    _, agent = running_pair()
    assert agent.job_id == "j1"
    assert agent.state is JobState.RUNNING


def test_an_event_for_an_unknown_job_is_a_protocol_error() -> None:
    hub, _ = running_pair()
    stray = JobEvent(job_id="j9", event={"type": "timeout"})
    with pytest.raises(
        WireError, match="job_event for unknown job 'j9' on the stream of job 'j1'"
    ) as caught:
        hub.receive_data(encode(stray))
    assert caught.value.kind == "unknown_job"
    assert hub.state is JobState.ERROR


def test_an_event_before_any_offer_is_for_an_unknown_job() -> None:
    hub = JobChannel(Role.HUB)
    with pytest.raises(WireError, match="job_event for unknown job 'j1'"):
        hub.receive_data(encode(EVENT))


def test_the_agent_cannot_send_for_another_job() -> None:
    _, agent = running_pair()
    with pytest.raises(LocalProtocolError, match="unknown job 'j2'"):
        agent.send(JobEvent(job_id="j2", event={"type": "timeout"}))


def test_an_event_after_the_end_is_a_protocol_error() -> None:
    hub, agent = running_pair()
    hub.receive_data(agent.send(END))
    with pytest.raises(WireError, match="may not send job_event in state done"):
        hub.receive_data(encode(EVENT))


def test_only_the_hub_offers_and_only_the_agent_reports() -> None:
    hub, agent = running_pair()
    with pytest.raises(LocalProtocolError, match="the hub may not send job_event"):
        hub.send(EVENT)
    with pytest.raises(WireError, match="the hub may not send job_event"):
        agent.receive_data(encode(EVENT))


def test_a_second_offer_on_a_stream_is_a_protocol_error() -> None:
    _, agent = running_pair()
    with pytest.raises(WireError, match="may not send job_offer in state running"):
        agent.receive_data(encode(OFFER))


def test_a_control_message_on_a_job_stream_is_a_protocol_error() -> None:
    hub, _ = running_pair()
    with pytest.raises(WireError, match="hello belongs on the control stream"):
        hub.receive_data(encode(HELLO))


def test_a_cancel_reaches_the_agent_and_drops_what_was_in_flight() -> None:
    hub, agent = running_pair()
    in_flight = agent.send(EVENT)
    agent.receive_data(hub.send(CANCEL))
    assert job_events(agent) == [CANCEL]
    assert agent.send(EVENT) == b""  # the hub wants nothing more
    hub.receive_data(in_flight + encode(END))
    assert job_events(hub) == []
    assert hub.state is JobState.DONE


def test_a_cancel_of_a_finished_job_is_ignored() -> None:
    hub, agent = running_pair()
    end = agent.send(END)
    crossed = hub.send(CANCEL)  # sent before the end arrived
    hub.receive_data(end)
    agent.receive_data(crossed)
    assert job_events(agent) == []
    assert agent.state is JobState.DONE
    assert hub.send(CANCEL) == b""  # and once the hub knows: no bytes at all


def test_a_second_cancel_is_ignored() -> None:
    hub, _ = running_pair()
    hub.send(CANCEL)
    assert hub.send(CANCEL) == b""


def test_the_agent_resetting_a_running_job_aborts_it_on_the_hub() -> None:
    hub, _ = running_pair()
    hub.receive_reset()
    assert job_events(hub) == [JobAborted("j1", "the agent reset the job's stream")]
    assert hub.state is JobState.DONE


def test_the_agent_ending_its_stream_without_a_job_end_aborts_the_job() -> None:
    hub, _ = running_pair()
    hub.receive_end()
    assert job_events(hub) == [
        JobAborted("j1", "the agent ended the job's stream without ending the job")
    ]


def test_a_reset_after_a_cancel_is_the_agent_obeying() -> None:
    hub, _ = running_pair()
    hub.send(CANCEL)
    hub.receive_reset()
    assert job_events(hub) == []
    assert hub.state is JobState.DONE


def test_the_hub_resetting_a_running_job_stops_it_on_the_agent() -> None:
    _, agent = running_pair()
    agent.receive_reset()
    assert job_events(agent) == [JobAborted("j1", "the hub reset the job's stream")]
    assert agent.send(EVENT) == b""
    assert agent.send(END) == b""
    assert agent.state is JobState.DONE


def test_a_job_stream_ending_inside_a_frame_is_truncated() -> None:
    hub, agent = running_pair()
    hub.receive_data(agent.send(EVENT)[:-2])
    with pytest.raises(WireError, match="inside a frame"):
        hub.receive_end()


def test_a_failed_stream_refuses_to_send() -> None:
    hub, _ = running_pair()
    with pytest.raises(WireError):
        hub.receive_data(b"\x00\x00\x00\x00")
    hub.receive_data(encode(EVENT))  # ignored: the stream is beyond repair
    with pytest.raises(LocalProtocolError, match="failed"):
        hub.send(CANCEL)


@given(st.lists(st.binary(max_size=48), max_size=6), st.sampled_from(list(Role)), st.booleans())
def test_receive_data_raises_wire_error_or_nothing(
    chunks: list[bytes], role: Role, offered: bool
) -> None:
    channel = JobChannel(role)
    if offered and role is Role.HUB:
        channel.send(OFFER)
    try:
        for chunk in chunks:
            channel.receive_data(chunk)
        channel.receive_end()
    except WireError:
        assert channel.state is JobState.ERROR


@given(st.lists(st.sampled_from(range(5)), max_size=10), st.sampled_from(list(Role)))
def test_valid_frames_in_any_order_give_events_or_wire_errors(order: list[int], role: Role) -> None:
    frames = [
        encode(m) for m in (OFFER, EVENT, END, CANCEL, JobEvent(job_id="x", event=EVENT.event))
    ]
    channel = JobChannel(role)
    with contextlib.suppress(WireError):
        channel.receive_data(b"".join(frames[i] for i in order))
        channel.receive_reset()
