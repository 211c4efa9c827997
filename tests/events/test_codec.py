"""NDJSON lines leave out the nulls an event type gives no meaning to, and still read old lines."""

from __future__ import annotations

import json

import jsonschema

from cloudping.events import (
    EndEvent,
    ErrorEvent,
    HopEvent,
    HopProbe,
    MeasurementEvent,
    ReplyEvent,
    from_dict,
    published_schema,
    to_json_line,
)

REPLY = ReplyEvent(
    agent="local", target="127.0.0.1", seq=1, address="127.0.0.1", rtt_ms=0.05, size=64
)


def test_a_ping_reply_has_no_port_fields() -> None:
    line = json.loads(to_json_line(REPLY))
    assert not {"port", "state", "icmp_error", "mtu", "ttl"} & line.keys()
    assert line["rtt_ms"] == 0.05


def test_every_line_still_names_its_agent_and_target() -> None:
    first = json.loads(to_json_line(MeasurementEvent(id="m1", command="ping x", agents=())))
    last = json.loads(to_json_line(EndEvent(id="m1", status="ok", duration_ms=1.0)))
    assert (first["agent"], first["target"], last["agent"], last["target"]) == (None,) * 4
    assert "read_key" not in first


def test_an_error_keeps_only_the_fields_it_has() -> None:
    plain = json.loads(to_json_line(ErrorEvent(code="resolve_failed", message="x: not known")))
    assert plain == {
        "type": "error",
        "code": "resolve_failed",
        "message": "x: not known",
        "agent": None,
        "target": None,
    }
    refused = ErrorEvent(code="policy_denied", message="...", agent="local", rule="scope")
    assert json.loads(to_json_line(refused))["rule"] == "scope"


def test_a_hop_probe_keeps_its_null_answer() -> None:
    hop = HopEvent(agent="local", target="t", ttl=3, probes=(HopProbe(),))
    assert json.loads(to_json_line(hop))["probes"] == [
        {
            "address": None,
            "rtt_ms": None,
            "name": None,
            "icmp_error": None,
            "mtu": None,
            "asn": None,
            "as_name": None,
            "country": None,
            "city": None,
        }
    ]


def test_lines_without_nulls_are_valid_and_lines_with_them_still_read() -> None:
    short = json.loads(to_json_line(REPLY))
    jsonschema.Draft202012Validator(published_schema()).validate(short)
    old = short | {"port": None, "state": None, "icmp_error": None, "mtu": None, "ttl": None}
    assert from_dict(old) == from_dict(short) == REPLY
