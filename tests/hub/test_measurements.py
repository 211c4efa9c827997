"""Measurements: commands become jobs on agents, one merged stream comes back and is stored.

The agents are in-memory links that play ping jobs back; every wait is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from cloudping.commands import parse
from cloudping.errors import CloudpingError
from cloudping.events import ErrorEvent, Event, to_dict
from cloudping.hub import Hub, HubSettings
from cloudping.store import MeasurementNotFoundError, MemoryStore
from cloudping.testing import ScriptedAgent, connect, scripted_hub
from cloudping.wire.messages import JobLimits

pytestmark = pytest.mark.anyio
WAIT = 2.0  # seconds: every wait in this file is bounded by it


@dataclass
class Setup:
    hub: Hub
    store: MemoryStore
    links: dict[str, ScriptedAgent]
    events: list[Event] = field(default_factory=list)

    def types(self, agent: str | None = None) -> list[str]:
        return [e.type for e in self.events if agent is None or e.agent == agent]


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    store = MemoryStore()
    links = {
        "fra1": ScriptedAgent("fra1", country="DE", asn=1),
        "ams1": ScriptedAgent("ams1", finishes=False, country="DE", asn=2),
    }
    async with scripted_hub(*links.values(), store=store, settings=HubSettings(max_jobs=4)) as hub:
        yield Setup(hub, store, links)


async def stored_events(store: MemoryStore, measurement_id: str) -> list[dict[str, Any]]:
    stored = await store.get(measurement_id)
    assert [e.seq for e in stored.events] == list(range(1, len(stored.events) + 1))
    return [e.event for e in stored.events]


async def test_the_stream_opens_with_measurement_and_ends_with_end(setup: Setup) -> None:
    command = parse("ping -c 2 -s fra1 example.com")
    async with asyncio.timeout(WAIT):
        measurement_id = await setup.hub.run(command, "alice", setup.events.append)
    first, last = setup.events[0], setup.events[-1]
    opened = to_dict(first)
    assert opened == {
        "type": "measurement",
        "id": "m1",
        "command": "ping -c 2 -s fra1 example.com",
        "agents": ["fra1"],
        "read_key": opened["read_key"],
        "agent": None,
        "target": None,
    }
    assert len(opened["read_key"]) >= 22  # secrets.token_urlsafe(16): 128 bits
    assert (await setup.store.get("m1")).read_key == opened["read_key"]
    assert setup.types() == ["measurement", "start", "reply", "reply", "summary", "end"]
    assert last.type == "end"
    assert (last.id, last.status) == (measurement_id, "ok")


async def test_the_store_holds_the_same_stream_and_the_request(setup: Setup) -> None:
    command = parse("ping -c 2 -s fra1 example.com")
    async with asyncio.timeout(WAIT):
        measurement_id = await setup.hub.run(command, "alice", setup.events.append)
    stored = await setup.store.get(measurement_id)
    assert await stored_events(setup.store, measurement_id) == [to_dict(e) for e in setup.events]
    assert (stored.status, stored.subject, stored.agents) == ("done", "alice", ("fra1",))
    assert stored.command_json["from"] == {"selectors": [["fra1"]], "limit": None}
    assert stored.summary is not None
    assert [s["agent"] for s in stored.summary["summaries"]] == ["fra1"]


async def test_each_agent_gets_one_job_per_target_without_its_selection(setup: Setup) -> None:
    command = parse("ping -c 2 -s fra1 example.com example.net")
    async with asyncio.timeout(WAIT):
        await setup.hub.run(command, "alice", setup.events.append)
    offers = setup.links["fra1"].offers
    assert [job_id for job_id, _, _ in offers] == ["m1.1", "m1.2"]
    assert [c["targets"] for _, c, _ in offers] == [["example.com"], ["example.net"]]
    assert all(c["from"] is None for _, c, _ in offers)
    assert setup.types().count("summary") == 2


async def test_a_lost_agent_ends_its_jobs_with_agent_lost_while_the_other_finishes(
    setup: Setup,
) -> None:
    command = parse("ping -c 2 -s fra1,ams1 example.com example.net")
    ams1 = setup.links["ams1"]
    async with asyncio.timeout(WAIT):
        runner = asyncio.create_task(setup.hub.run(command, "alice", setup.events.append))
        await ams1.played.wait()  # mid-job: started and replying, no end yet
        setup.hub.agent_lost(ams1, "ams1")
        measurement_id = await runner
    lost = [e for e in setup.events if isinstance(e, ErrorEvent)]
    assert [(e.code, e.reason, e.agent, e.target) for e in lost] == [
        ("agent_lost", "disconnected", "ams1", "example.com"),
        ("agent_lost", "disconnected", "ams1", "example.net"),
    ]
    assert setup.types("fra1").count("summary") == 2
    assert setup.types("ams1").count("summary") == 0
    assert setup.events[-1].type == "end"
    assert setup.events[-1].status == "error"
    stored = await setup.store.get(measurement_id)
    assert stored.status == "failed"
    assert await stored_events(setup.store, measurement_id) == [to_dict(e) for e in setup.events]


async def test_a_ping_job_past_its_own_end_is_lost_as_overdue_and_cancelled() -> None:
    settings = HubSettings(overdue_slack_s=0.2)  # the deadline (610 s) is far away
    silent = ScriptedAgent("ams1", finishes=False)  # connected, but never ends its job
    events: list[Event] = []
    async with scripted_hub(silent, settings=settings) as hub:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(WAIT):
            await hub.run(parse("ping -c 2 -i 0.2 -W 0.2 example.com"), "alice", events.append)
        took = loop.time() - started
    [lost] = [e for e in events if isinstance(e, ErrorEvent)]
    assert (lost.code, lost.reason, lost.agent, lost.target) == (
        "agent_lost",
        "overdue",
        "ams1",
        "example.com",
    )
    assert silent.cancels == ["m1.1"]
    assert 0.6 <= took < 1.5  # 0.2 (interval) + 0.2 (timeout) + 0.2 (slack), then at once


async def test_a_caller_that_goes_away_cancels_its_jobs_on_every_agent(setup: Setup) -> None:
    fra1, ams1 = setup.links["fra1"], setup.links["ams1"]
    fra1.finishes = False
    command = parse("ping -c 2 -s fra1,ams1 example.com")
    async with asyncio.timeout(WAIT):
        runner = asyncio.create_task(setup.hub.run(command, "alice", setup.events.append))
        await fra1.played.wait()
        await ams1.played.wait()
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        await setup.hub.wait("m1")
    assert (fra1.cancels, ams1.cancels) == (["m1.1"], ["m1.2"])
    stored = await setup.store.get("m1")
    assert stored.status == "cancelled"
    assert stored.events[-1].event["type"] == "end"
    assert stored.events[-1].event["status"] == "cancelled"


async def test_a_background_run_survives_its_caller(setup: Setup) -> None:
    ams1 = setup.links["ams1"]
    command = parse("ping -c 2 -s ams1 example.com")
    async with asyncio.timeout(WAIT):
        runner = asyncio.create_task(
            setup.hub.run(command, "alice", setup.events.append, background=True)
        )
        await ams1.played.wait()
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        ams1.finish("m1.1")
        await setup.hub.wait("m1")
    assert ams1.cancels == []
    stored = await setup.store.get("m1")
    assert stored.status == "done"
    assert [e.event["type"] for e in stored.events][-2:] == ["summary", "end"]
    assert "summary" not in setup.types()  # the caller was gone by then


async def test_start_returns_the_id_at_once_and_the_run_goes_on(setup: Setup) -> None:
    ams1 = setup.links["ams1"]
    async with asyncio.timeout(WAIT):
        measurement_id = await setup.hub.start(parse("ping -s ams1 example.com"), None)
        await ams1.played.wait()
        assert (await setup.store.get(measurement_id)).status == "running"
        ams1.finish("m1.1")
        await setup.hub.wait(measurement_id)
    assert (await setup.store.get(measurement_id)).status == "done"


async def test_more_jobs_than_allowed_is_quota_exceeded_and_nothing_runs(setup: Setup) -> None:
    command = parse("ping -s fra1,ams1 a.example b.example c.example")
    with pytest.raises(CloudpingError) as caught:
        await setup.hub.run(command, "alice", setup.events.append)
    assert caught.value.code == "quota_exceeded"
    assert caught.value.fields == {
        "limit": "jobs_per_measurement",
        "requested": 6,
        "allowed": 4,
    }
    assert setup.events == []
    assert setup.links["fra1"].offers == []
    with pytest.raises(MeasurementNotFoundError):
        await setup.store.get("m1")


async def test_no_agent_matched_is_raised_before_anything_is_stored(setup: Setup) -> None:
    with pytest.raises(CloudpingError) as caught:
        await setup.hub.run(parse("ping -s NL example.com"), None, setup.events.append)
    assert caught.value.code == "no_agent_matched"
    assert setup.events == []


async def test_a_command_the_hub_answers_itself_is_not_a_measurement(setup: Setup) -> None:
    with pytest.raises(CloudpingError) as caught:
        await setup.hub.run(parse("list"), None, setup.events.append)
    assert caught.value.code == "not_a_measurement"


async def test_an_agent_cannot_speak_for_another_agents_job(setup: Setup) -> None:
    fra1, ams1 = setup.links["fra1"], setup.links["ams1"]
    async with asyncio.timeout(WAIT):
        measurement_id = await setup.hub.start(parse("ping -s ams1 example.com"), None)
        await ams1.played.wait()
        setup.hub.job_end(fra1, "m1.1", "completed")  # not fra1's job: dropped
        setup.hub.job_event(ams1, "m1.1", {"type": "start", "agent": "fra1"})
        ams1.finish("m1.1")
        await setup.hub.wait(measurement_id)
    events = await stored_events(setup.store, measurement_id)
    assert {e["agent"] for e in events} == {None, "ams1"}
    bad = [e for e in events if e["type"] == "error"]
    assert [e["code"] for e in bad] == ["bad_event"]


async def test_events_are_named_after_the_agent_that_sent_them(setup: Setup) -> None:
    ams1 = setup.links["ams1"]
    async with asyncio.timeout(WAIT):
        measurement_id = await setup.hub.start(parse("ping -s ams1 example.com"), None)
        await ams1.played.wait()
        forged = {"type": "error", "code": "timeout", "message": "x", "agent": "fra1"}
        setup.hub.job_event(ams1, "m1.1", forged)
        ams1.finish("m1.1")
        await setup.hub.wait(measurement_id)
    errors = [e for e in await stored_events(setup.store, measurement_id) if e["type"] == "error"]
    assert [e["agent"] for e in errors] == ["ams1"]


async def test_leaving_the_hub_ends_running_streams_cancelled_for_their_callers() -> None:
    store = MemoryStore()
    link = ScriptedAgent("ams1", finishes=False)
    events: list[Event] = []
    async with asyncio.timeout(WAIT):
        async with scripted_hub(link, store=store) as hub:
            runner = asyncio.create_task(hub.run(parse("ping example.com"), None, events.append))
            await link.played.wait()
        assert await runner == "m1"
    assert events[-1].type == "end"
    assert events[-1].status == "cancelled"
    assert (await store.get("m1")).status == "cancelled"
    assert link.cancels == ["m1.1"]


async def test_a_job_silent_past_its_deadline_ends_with_timeout_and_is_cancelled() -> None:
    store = MemoryStore()
    link = ScriptedAgent("ams1", finishes=False)
    limits = JobLimits(max_duration_ms=1, max_packets=10, max_rate_pps=10)
    settings = HubSettings(job_limits=limits, grace_s=0.05)
    events: list[Event] = []
    async with asyncio.timeout(WAIT), scripted_hub(link, store=store, settings=settings) as hub:
        await hub.run(parse("ping example.com"), None, events.append)
    errors = [e for e in events if e.type == "error"]
    assert [(e.code, e.agent) for e in errors] == [("timeout", "ams1")]
    assert link.cancels == [link.offers[0][0]]
    assert link.offers[0][2] == limits


class DeadLink(ScriptedAgent):
    """A link whose connection closed between selection and the offer."""

    def offer(self, job_id: str, command: Mapping[str, Any], limits: JobLimits) -> None:
        raise CloudpingError("the connection is closed", code="closed")


async def test_an_offer_that_cannot_be_sent_is_agent_lost(setup: Setup) -> None:
    dead = DeadLink("zrh1")
    await connect(setup.hub, dead)
    command = parse("ping -c 2 -s fra1,zrh1 example.com")
    async with asyncio.timeout(WAIT):
        await setup.hub.run(command, None, setup.events.append)
    errors = [e for e in setup.events if e.type == "error"]
    assert [(e.code, e.agent) for e in errors] == [("agent_lost", "zrh1")]
    assert setup.types("fra1").count("summary") == 1
