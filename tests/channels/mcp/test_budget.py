"""Results stay small for a model: under 8 KB of JSON text, details left out in order."""

from __future__ import annotations

import json

import pytest
from mcp_types import TextContent

from cloudping.channels.mcp.budget import DEFAULT_BUDGET, fit, size
from cloudping.events import EndEvent, Event, MeasurementEvent
from cloudping.render.snapshot import Snapshot
from cloudping.testing import path_events, ping_events, scan_events

from .twin import mcp_world

pytestmark = pytest.mark.anyio


def measurement(agents: list[str], *jobs: list[Event]) -> list[Event]:
    """A whole stream: the measurement event, the jobs' events, the end."""
    events: list[Event] = [MeasurementEvent(id="m1", command="x", agents=tuple(agents))]
    for job in jobs:
        events += job
    return [*events, EndEvent(id="m1", status="ok", duration_ms=10.0)]


def test_a_small_result_keeps_every_detail_and_no_hint() -> None:
    events = measurement(["fra1"], ping_events("fra1", "example.com", 4))
    result = fit(Snapshot.of(events), "ping example.com")
    assert result.detail == "full"
    assert result.hint is None
    assert result.results[0].ping is not None
    assert result.results[0].ping.rtt is not None
    assert result.results[0].ping.rtt.stddev_ms == 0.5


def test_a_long_path_from_two_agents_fits_with_the_last_hop_kept() -> None:
    events = measurement(
        ["fra1", "ams1"],
        path_events("fra1", "example.com", 64, ecmp=3),
        path_events("ams1", "example.com", 64, ecmp=3),
    )
    full = fit(Snapshot.of(events), "traceroute example.com", budget=10**6)
    result = fit(Snapshot.of(events), "traceroute example.com")
    assert size(full) > DEFAULT_BUDGET  # the test is worth something only if it must cut
    assert size(result) <= DEFAULT_BUDGET
    assert [job.agent for job in result.results] == ["fra1", "ams1"]
    for job in result.results:
        assert job.path is not None
        assert job.path.hops[-1].ttl == 64
        assert job.path.hops_omitted == 64 - len(job.path.hops)
    assert result.detail != "full"
    assert result.hint is not None
    assert "get_measurement" in result.hint


def test_a_scan_of_a_slash_24_with_many_ranges_fits() -> None:
    events = measurement(["fra1"], scan_events("fra1", "198.18.0.0/24", every=2))
    result = fit(Snapshot.of(events), "scan 198.18.0.0/24")
    assert size(result) <= DEFAULT_BUDGET
    scan = result.results[0].scan
    assert scan is not None
    assert scan.alive == 128
    assert len(scan.alive_ranges) + scan.ranges_omitted == 128


def test_many_jobs_are_listed_up_to_what_fits_and_the_rest_counted() -> None:
    agents = [f"a{n}" for n in range(50)]
    jobs = [path_events(agent, "example.com", 30, ecmp=2) for agent in agents]
    result = fit(Snapshot.of(measurement(agents, *jobs)), "traceroute example.com")
    assert size(result) <= DEFAULT_BUDGET
    assert result.jobs_omitted == 50 - len(result.results)
    assert result.jobs_omitted > 0


def json_bytes(blocks: list[object]) -> int:
    return sum(len(b.text.encode()) for b in blocks if isinstance(b, TextContent))


async def test_a_traceroute_from_two_agents_stays_under_8_kb_through_mcp() -> None:
    async with mcp_world() as w:
        for name, link in w.links.items():
            link.script["traceroute"] = path_events(name, "example.com", 30, ecmp=3)
        args = {"target": "example.com", "from": {"selectors": "fra1,ams1"}}
        result = await w.client.call_tool("traceroute", args)
    assert not result.is_error
    assert json_bytes(list(result.content)) <= DEFAULT_BUDGET
    compact = json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)
    assert len(compact.encode()) <= DEFAULT_BUDGET
    assert {job["agent"] for job in result.structured_content["results"]} == {"fra1", "ams1"}


async def test_a_scan_of_a_slash_24_stays_under_8_kb_through_mcp() -> None:
    async with mcp_world() as w:
        w.links["fra1"].script["scan"] = scan_events("fra1", "198.18.0.0/24", every=2)
        args = {"cidr": "198.18.0.0/24", "from": {"selectors": "fra1"}}
        result = await w.client.call_tool("scan", args)
    assert not result.is_error
    assert json_bytes(list(result.content)) <= DEFAULT_BUDGET
    assert result.structured_content["results"][0]["scan"]["alive"] == 128
