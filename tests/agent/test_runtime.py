"""The agent against an in-memory hub: offers in, events and ends out.

Pings go to 127.0.0.1, allowed only where the test's agent serves 127.0.0.0/8. Every wait is
bounded and waits for a message, never for time to pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from cloudping.agent.admit import AgentRules
from cloudping.agent.runtime import Agent
from cloudping.probes.env import ProbeEnv
from cloudping.wire import Cancel, JobAborted, JobEnd, JobOffer

from .twin import LIMITS, WAIT, TwinLink, offer, run

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
SERVING_LOOPBACK = AgentRules(served=LOOPBACK)
LONG_PING = ("ping", "-c", "100", "-i", "0.2", "127.0.0.1")


@asynccontextmanager
async def agent_with(rules: AgentRules = SERVING_LOOPBACK) -> AsyncIterator[Agent]:
    async with ProbeEnv(agent="twin") as env, Agent.running(env, rules) as agent:
        yield agent


def errors(link: TwinLink, job_id: str) -> list[tuple[str, str]]:
    return [(e["code"], e["message"]) for e in link.events(job_id) if e["type"] == "error"]


def test_a_ping_streams_start_replies_summary_then_ends_completed() -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with agent_with() as agent:
            agent(link, offer("j1", "ping", "-c", "2", "-i", "0.2", "127.0.0.1"))
            end = await link.wait_end("j1")
        assert link.types("j1") == ["start", "reply", "reply", "summary"]
        assert end == JobEnd(job_id="j1", status="completed")
        assert link.reports("j1")[-1] == end
        assert {event["agent"] for event in link.events("j1")} == {"twin"}

    run(scenario())


def test_loopback_is_refused_when_the_agent_does_not_serve_it() -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with agent_with(AgentRules()) as agent:
            agent(link, offer("j1", "ping", "-c", "2", "-i", "0.2", "127.0.0.1"))
            end = await link.wait_end("j1")
        assert end.status == "failed"
        assert [code for code, _ in errors(link, "j1")] == ["policy_denied"]
        assert "reply" not in link.types("j1")

    run(scenario())


def test_a_served_range_is_refused_to_an_asker_without_the_private_scope() -> None:
    async def scenario() -> None:
        link = TwinLink()
        public_only = dataclasses.replace(LIMITS, private=False)
        async with agent_with() as agent:
            agent(link, offer("j1", "ping", "-c", "1", "127.0.0.1", limits=public_only))
            end = await link.wait_end("j1")
        assert end.status == "failed"
        assert [code for code, _ in errors(link, "j1")] == ["policy_denied"]

    run(scenario())


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ({"command": "ping", "targets": ["127.0.0.1"], "count": 0}, "bad_command"),
        ({"command": "ping", "targets": ["127.0.0.1"], "bogus": 1}, "bad_command"),
        ({"command": "nonsense"}, "bad_command"),
        ({"command": "list"}, "not_implemented"),
    ],
)
def test_a_bad_offer_ends_failed_with_an_error_event(command: dict[str, object], code: str) -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with agent_with() as agent:
            agent(link, JobOffer(job_id="bad", command=command, limits=LIMITS))
            end = await link.wait_end("bad")
        assert end.status == "failed"
        assert [found for found, _ in errors(link, "bad")] == [code]

    run(scenario())


@pytest.mark.parametrize(
    "stop",
    [Cancel(job_id="j1", reason="the caller left"), JobAborted(job_id="j1", reason="reset")],
)
def test_a_cancelled_job_sends_its_summary_then_ends_cancelled(stop: Cancel | JobAborted) -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with agent_with() as agent:
            agent(link, offer("j1", *LONG_PING))
            await link.wait_for(lambda: "reply" in link.types("j1"))
            agent(link, stop)
            end = await link.wait_end("j1")
        assert end.status == "cancelled"
        assert link.types("j1")[-1] == "summary"
        assert link.reports("j1")[-1] == end

    run(scenario())


def test_a_job_cancelled_before_it_started_still_ends() -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with agent_with() as agent:
            agent(link, offer("j1", *LONG_PING))
            agent(link, Cancel(job_id="j1", reason="changed my mind"))
            end = await link.wait_end("j1")
        assert end.status == "cancelled"

    run(scenario())


def test_an_offer_above_the_agents_rate_cap_is_refused_naming_the_cap() -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with agent_with(dataclasses.replace(SERVING_LOOPBACK, max_rate_pps=2)) as agent:
            agent(link, offer("j1", "ping", "-c", "2", "-i", "0.2", "127.0.0.1"))
            end = await link.wait_end("j1")
        assert end.status == "failed"
        [(code, message)] = errors(link, "j1")
        assert code == "limit_exceeded"
        assert "5 packets/s" in message
        assert "at most 2 packets/s" in message
        assert link.types("j1") == ["error"]  # refused before a packet went out

    run(scenario())


def test_a_job_past_its_duration_limit_is_stopped_with_an_error_after_its_summary() -> None:
    async def scenario() -> None:
        link = TwinLink()
        short = dataclasses.replace(LIMITS, max_duration_ms=300)
        async with agent_with() as agent:
            agent(link, offer("j1", *LONG_PING, limits=short))
            end = await link.wait_end("j1")
        assert end.status == "failed"
        assert link.types("j1")[-2:] == ["summary", "error"]
        assert errors(link, "j1")[0][0] == "limit_exceeded"

    run(scenario())


def test_a_lost_connection_cancels_all_its_jobs_and_sends_nothing_more() -> None:
    async def scenario() -> None:
        link, other = TwinLink(), TwinLink()
        async with agent_with() as agent:
            for job_id in ("j1", "j2"):
                agent(link, offer(job_id, *LONG_PING))
            agent(other, offer("k1", *LONG_PING))
            await link.wait_for(lambda: all("reply" in link.types(j) for j in ("j1", "j2")))
            sent_before = len(link.sent)
            agent(link, link.close("network down"))
            async with asyncio.timeout(WAIT):
                await agent.ended(link)
            assert agent.jobs(link) == frozenset()
            assert len(link.sent) == sent_before
            assert agent.jobs(other) == {"k1"}  # another connection's job runs on

    run(scenario())


def test_leaving_the_agent_ends_every_running_job_as_cancelled() -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with agent_with() as agent:
            agent(link, offer("j1", *LONG_PING))
            await link.wait_for(lambda: "reply" in link.types("j1"))
        end = link.end("j1")
        assert end is not None
        assert end.status == "cancelled"
        assert link.types("j1")[-1] == "summary"

    run(scenario())


def test_jobs_share_the_agents_icmp_socket() -> None:
    async def scenario() -> None:
        link = TwinLink()
        async with ProbeEnv(agent="twin") as env, Agent.running(env, SERVING_LOOPBACK) as agent:
            for job_id in ("j1", "j2"):
                agent(link, offer(job_id, "ping", "-c", "1", "127.0.0.1"))
            await link.wait_end("j1")
            await link.wait_end("j2")
            assert set(env._icmp) == {4}  # one endpoint, opened by the first job

    run(scenario())
