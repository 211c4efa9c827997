"""Messages check themselves; the payload views type what the wire carries as JSON."""

from __future__ import annotations

from typing import Any

import pytest

from cloudping.commands import PingCommand, parse
from cloudping.errors import UsageError
from cloudping.events import TimeoutEvent
from cloudping.wire import (
    Accept,
    AgentAttributes,
    Cancel,
    Heartbeat,
    Hello,
    JobEvent,
    JobLimits,
    JobOffer,
    Refuse,
    WireError,
)
from cloudping.wire.payloads import job_event, job_offer, offered_command, reported_event

from .helpers import HELLO, LIMITS


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"country": "de"}, "bad country"),
        ({"lat": 50.0}, "lat and lon go together"),
        ({"lat": 91.0, "lon": 0.0}, "lat must be"),
        ({"lat": float("nan"), "lon": 0.0}, "lat must be"),
        ({"asn": 0}, "asn must be"),
        ({"asn": 2**32}, "asn must be"),
        ({"city": ""}, "city must be 1 to"),
        ({"tags": ("a b",)}, "'a b' is not a valid entry of tags"),
        ({"tags": ("x", "x")}, "tags must not repeat"),
        ({"capabilities": ("icmp", "smtp")}, "'smtp' is not a valid entry of capabilities"),
        ({"serves": ("10.1.0.0/8",)}, "'10.1.0.0/8' is not a valid entry of serves"),
        ({"serves": ("fd00::/8", "garbage")}, "'garbage' is not a valid entry of serves"),
    ],
)
def test_invalid_attributes_cannot_exist(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        AgentAttributes(**fields)


def test_a_hello_names_a_selectable_agent() -> None:
    with pytest.raises(ValueError, match="is not a valid name"):
        Hello(name="-s", token="t")  # noqa: S106 (a test token)
    with pytest.raises(ValueError, match="token must be"):
        Hello(name="fra1", token="")


def test_the_token_never_shows_in_a_hello_repr() -> None:
    assert "tok" not in repr(HELLO).replace("token", "")


def test_the_idle_timeout_must_exceed_the_heartbeat_interval() -> None:
    with pytest.raises(ValueError, match="idle_timeout_ms must exceed"):
        Accept(session_id="s", heartbeat_interval_ms=10_000, idle_timeout_ms=10_000)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Refuse(code="Not Snake", reason="x"),
        lambda: Heartbeat(seq=-1, sent_at=0),
        lambda: JobLimits(max_duration_ms=0, max_packets=1, max_rate_pps=1),
        lambda: JobOffer(job_id="j 1", command={"command": "ping"}, limits=LIMITS),
        lambda: JobOffer(job_id="j1", command={"targets": []}, limits=LIMITS),
        lambda: JobEvent(job_id="j1", event={"agent": "fra1"}),
        lambda: Cancel(job_id="", reason="x"),
    ],
)
def test_an_invalid_message_cannot_exist(make: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (each case has its own words)
        make()


def test_an_offer_carries_the_command_in_its_structured_form_and_back() -> None:
    command = parse("ping -c 3 192.0.2.1")
    offer = job_offer("j1", command, LIMITS)
    assert offer.command["command"] == "ping"
    assert offered_command(offer) == command


def test_an_offered_command_is_checked_as_a_command_line_is() -> None:
    offer = JobOffer(job_id="j1", command={"command": "ping", "count": 0}, limits=LIMITS)
    with pytest.raises(UsageError):
        offered_command(offer)


def test_an_event_travels_in_its_dict_form_and_back() -> None:
    event = TimeoutEvent(agent="fra1", target="x", seq=1, address="192.0.2.1", timeout_ms=1000.0)
    message = job_event("j1", event)
    assert message.event["type"] == "timeout"
    assert reported_event(message) == event


def test_a_malformed_event_from_an_agent_is_a_wire_error() -> None:
    message = JobEvent(job_id="j1", event={"type": "reply", "agent": "fra1"})
    with pytest.raises(WireError, match="job 'j1' sent a malformed event") as caught:
        reported_event(message)
    assert caught.value.kind == "bad_event"


def test_a_ping_offer_round_trips_its_typed_command() -> None:
    command = PingCommand(targets=("192.0.2.1",))
    assert offered_command(job_offer("j2", command, LIMITS)) == command
