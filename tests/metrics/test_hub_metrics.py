"""The hub's metrics count what the hub does, with labels that stay bounded whatever the
targets and callers, in an exposition promtool accepts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cloudping.commands import parse
from cloudping.errors import CloudpingError
from cloudping.hub import Hub, HubSettings, MemoryRegistry
from cloudping.metrics.hub import HubMetrics
from cloudping.service import ApiSettings, Caller, CommandService
from cloudping.service.settings import Quota
from cloudping.store import MemoryStore
from cloudping.testing import ScriptedAgent, connect, counter, seeded, ticking_clock

from .promtool import promtool_problems

WAIT = 10.0
ALICE = Caller("alice", frozenset({"measure"}), Quota(10_000, 1_000_000), channel="mcp")


@asynccontextmanager
async def watched_hub(
    metrics: HubMetrics, *agents: ScriptedAgent, settings: HubSettings | None = None
) -> AsyncIterator[Hub]:
    hub = Hub(
        MemoryRegistry(),
        MemoryStore(),
        settings=settings,
        clock=ticking_clock(),
        new_id=counter("m"),
        rng=seeded(1),
        observer=metrics,
    )
    async with hub:
        for agent in agents:
            await connect(hub, agent)
        yield hub


def samples(exposition: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition by (name, sorted labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition.decode())
        for s in family.samples
    }


def value(exposition: bytes, name: str, **labels: str) -> float:
    return samples(exposition).get((name, tuple(sorted(labels.items()))), 0.0)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(WAIT * 3):
            await scenario

    asyncio.run(bounded())


def test_measurements_jobs_and_requests_are_counted_by_command_status_and_channel() -> None:
    async def scenario() -> None:
        metrics = HubMetrics()
        async with watched_hub(metrics, ScriptedAgent("fra1"), ScriptedAgent("ams1")) as hub:
            service = CommandService(hub, hub.store, ApiSettings())
            await service.run(ALICE, parse("ping -c 2 -s fra1,ams1 198.18.3.2"), lambda _: None)
            await service.run(ALICE, parse("dns -s fra1 example.net"), lambda _: None)
            text = await metrics.scrape(hub)
        assert value(text, "cloudping_hub_measurements_started_total", command="ping") == 1
        assert value(text, "cloudping_hub_measurements_started_total", command="dns") == 1
        finished = "cloudping_hub_measurements_finished_total"
        assert value(text, finished, command="ping", status="ok") == 1
        assert value(text, "cloudping_hub_jobs_total", result="completed") == 3
        assert value(text, "cloudping_hub_requests_total", channel="mcp", status="ok") == 2
        duration = "cloudping_hub_measurement_duration_seconds_count"
        assert value(text, duration, command="ping") == 1
        assert value(text, "cloudping_hub_event_lag_seconds_count") > 0
        assert value(text, "cloudping_hub_agents", transport="other", state="idle") == 2

    run(scenario())


def test_quota_and_scope_refusals_are_counted_with_the_request_status() -> None:
    async def scenario() -> None:
        metrics = HubMetrics()
        stingy = Caller("bob", frozenset({"measure"}), Quota(1, 1_000), channel="telegram")
        reader = Caller("eve", frozenset(), Quota(10, 10), channel="email")
        async with watched_hub(metrics, ScriptedAgent("fra1")) as hub:
            service = CommandService(hub, hub.store, ApiSettings())
            await service.run(stingy, parse("ping -c 1 198.18.3.2"), lambda _: None)
            for caller in (stingy, reader):
                with pytest.raises(CloudpingError):
                    await service.run(caller, parse("ping -c 1 198.18.3.2"), lambda _: None)
            text = await metrics.scrape(hub)
        requests = "cloudping_hub_requests_total"
        assert value(text, requests, channel="telegram", status="ok") == 1
        assert value(text, requests, channel="telegram", status="quota_exceeded") == 1
        assert value(text, requests, channel="email", status="scope_missing") == 1
        assert value(text, "cloudping_hub_refusals_total", reason="quota") == 1
        assert value(text, "cloudping_hub_refusals_total", reason="scope") == 1

    run(scenario())


def test_a_thousand_distinct_targets_leave_the_number_of_series_unchanged() -> None:
    async def scenario() -> None:
        metrics = HubMetrics()
        async with watched_hub(metrics, ScriptedAgent("fra1")) as hub:
            service = CommandService(hub, hub.store, ApiSettings())
            run_one = service.run

            async def ping(n: int) -> None:
                target = f"198.18.{n // 250}.{n % 250 + 1}"
                await run_one(ALICE, parse(f"ping -c 1 {target}"), lambda _: None)

            await ping(0)
            after_one = set(samples(await metrics.scrape(hub)))
            await asyncio.gather(*(ping(n) for n in range(1, 1000)))
            after_many = samples(await metrics.scrape(hub))
        assert set(after_many) == after_one
        started = ("cloudping_hub_measurements_started_total", (("command", "ping"),))
        assert after_many[started] == 1000
        assert not any("198.18" in str(labels) for _, labels in after_many)

    run(scenario())


def test_an_unknown_channel_or_code_is_counted_as_other() -> None:
    metrics = HubMetrics()
    metrics.request("irc:#chan", "some new error")
    metrics.measurement_ended("ping 198.18.3.2", "weird", 1.0)
    text = asyncio.run(metrics.scrape(_empty_hub()))
    assert value(text, "cloudping_hub_requests_total", channel="other", status="other") == 1
    finished = "cloudping_hub_measurements_finished_total"
    assert value(text, finished, command="other", status="other") == 1


def _empty_hub() -> Hub:
    return Hub(MemoryRegistry(), MemoryStore())


def test_the_store_size_is_the_sum_of_its_files_read_at_scrape_time(tmp_path: Path) -> None:
    db, wal = tmp_path / "measurements.db", tmp_path / "measurements.db-wal"
    metrics = HubMetrics((db, wal))
    db.write_bytes(b"x" * 4096)
    assert value(asyncio.run(metrics.scrape(_empty_hub())), "cloudping_hub_store_bytes") == 4096
    wal.write_bytes(b"y" * 100)
    assert value(asyncio.run(metrics.scrape(_empty_hub())), "cloudping_hub_store_bytes") == 4196


def test_promtool_finds_nothing_to_complain_about_in_the_hub_exposition() -> None:
    async def scenario() -> bytes:
        metrics = HubMetrics()
        async with watched_hub(metrics, ScriptedAgent("fra1")) as hub:
            service = CommandService(hub, hub.store, ApiSettings())
            await service.run(ALICE, parse("mtr -c 2 198.18.3.2"), lambda _: None)
            return await metrics.scrape(hub)

    assert promtool_problems(asyncio.run(scenario())) == ""
