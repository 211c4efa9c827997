"""The published event schema: in step with the code, and strict."""

from __future__ import annotations

import json

import jsonschema
import pytest

from cloudping.events import (
    DnsEvent,
    DnsRecord,
    EndEvent,
    ErrorEvent,
    Event,
    HopEvent,
    HopProbe,
    HopStats,
    HttpEvent,
    HttpTimings,
    MeasurementEvent,
    PathSummaryEvent,
    PingSummaryEvent,
    ReplyEvent,
    ScanEvent,
    ScanSummaryEvent,
    StartEvent,
    TimeoutEvent,
    TlsInfo,
    from_dict,
    published_schema,
    to_dict,
    to_json_line,
)
from cloudping.events.codec import generate_schema

SAMPLES: list[Event] = [
    MeasurementEvent(id="m1", command="ping -c 1 198.18.3.2", agents=("local",)),
    StartEvent(
        agent="local",
        target="t",
        address="198.18.3.2",
        family=4,
        probe="ping",
        method="raw",
        size=56,
    ),
    ReplyEvent(agent="local", target="t", seq=1, address="198.18.3.2", rtt_ms=0.1, size=64, ttl=62),
    ReplyEvent(
        agent="local",
        target="t",
        seq=2,
        address="198.18.2.2",
        rtt_ms=0.1,
        size=0,
        icmp_error="frag_needed",
        mtu=1400,
    ),
    TimeoutEvent(agent="local", target="t", seq=3, address="198.18.3.2", timeout_ms=2000.0),
    PingSummaryEvent(
        agent="local",
        target="t",
        address="198.18.3.2",
        sent=3,
        received=1,
        loss=66.6667,
        min_ms=0.1,
        avg_ms=0.1,
        max_ms=0.1,
        stddev_ms=0.0,
    ),
    HopEvent(
        agent="local",
        target="t",
        ttl=2,
        probes=(HopProbe(address="198.18.2.2", rtt_ms=0.1, icmp_error="time_exceeded"), HopProbe()),
    ),
    PathSummaryEvent(
        agent="local",
        target="t",
        address="198.18.3.2",
        probe="mtr",
        reached=True,
        hops=(
            HopStats(
                ttl=1,
                addresses=("198.18.1.1",),
                names=(None,),
                sent=2,
                received=1,
                loss=50.0,
                avg_ms=0.1,
            ),
        ),
    ),
    ScanEvent(
        agent="local", target="198.18.3.0/24", address="198.18.3.2", state="alive", rtt_ms=0.1
    ),
    ScanSummaryEvent(
        agent="local",
        target="198.18.3.0/24",
        total=256,
        probed=256,
        alive=1,
        unreachable=0,
        alive_ranges=("198.18.3.2",),
        sent=512,
        rate_pps=1000.0,
        duration_ms=2000.0,
    ),
    DnsEvent(
        agent="local",
        target="www.lab",
        server="198.18.3.53:53",
        transport="udp",
        qtype="TXT",
        rcode="NOERROR",
        answers=(DnsRecord(name="www.lab.", ttl=60, type="TXT", data='"a b"'),),
    ),
    HttpEvent(
        agent="local",
        target="https://www.lab/",
        url="https://www.lab/",
        method="GET",
        status=200,
        http_version="HTTP/2",
        timings=HttpTimings(total_ms=5.0),
        tls=TlsInfo(version="TLSv1.3", sans=("www.lab",)),
        headers=(("server", "Caddy"),),
    ),
    ErrorEvent(code="resolve_failed", message="x: not known", agent="local", target="x"),
    EndEvent(id="m1", status="ok", duration_ms=12.5),
]


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(published_schema())


def test_shipped_schema_is_the_one_the_code_generates() -> None:
    assert published_schema() == json.loads(json.dumps(generate_schema())), (
        "cloudping/events/schema.json is stale: run `make schema`"
    )


def test_shipped_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(published_schema())


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_every_event_type_validates_and_round_trips(event: Event) -> None:
    line = to_json_line(event)
    obj = json.loads(line)
    validator().validate(obj)
    assert from_dict(obj) == event
    assert to_dict(event)["type"] == event.type


def test_events_name_agent_and_target_with_snake_case_fields() -> None:
    for event in SAMPLES:
        obj = to_dict(event)
        assert "agent" in obj
        assert "target" in obj
        assert all(key == key.lower() and "-" not in key for key in obj)


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "reply", "agent": "a", "target": "t", "seq": 1},  # fields missing
        {"type": "nonsense"},
        {**to_dict(SAMPLES[2]), "extra": 1},
        {**to_dict(SAMPLES[5]), "loss": 101},
        {**to_dict(SAMPLES[-1]), "status": "maybe"},
    ],
)
def test_schema_rejects_malformed_events(bad: dict[str, object]) -> None:
    assert not validator().is_valid(bad)
