"""One runner seam: the command service for a caller, this machine's probes and a hub's API
are each a Runner, so a channel runs and asks the same way whichever it holds."""

from __future__ import annotations

import asyncio

from cloudping.commands import parse
from cloudping.events import Event
from cloudping.runner import HubTarget, Runner, runner_for
from cloudping.runner.local import LocalRunner
from cloudping.runner.remote import HubRunner
from cloudping.service import ApiSettings, Caller, CommandService, Quota, ServiceRunner
from cloudping.testing import ScriptedAgent, scripted_hub

WAIT = 5.0
ALICE = Caller("alice", frozenset({"measure"}), Quota(10, 10))


def test_runner_for_picks_the_hub_or_this_machine() -> None:
    assert isinstance(runner_for(None), LocalRunner)
    chosen = runner_for(HubTarget("http://127.0.0.1:1", "T"))
    assert isinstance(chosen, HubRunner)
    assert chosen.hub.url == "http://127.0.0.1:1"


def test_the_service_runs_and_answers_for_its_caller_through_the_seam() -> None:
    events: list[Event] = []

    async def scenario() -> str:
        async with asyncio.timeout(WAIT), scripted_hub(ScriptedAgent("fra1")) as hub:
            runner: Runner = ServiceRunner(CommandService(hub, hub.store, ApiSettings()), ALICE)
            await runner.run(parse("ping -c 1 198.18.0.1"), events.append)
            return (await runner.answer(parse("list"))).text

    table = asyncio.run(scenario())
    assert [event.type for event in events] == ["measurement", "start", "reply", "summary", "end"]
    assert table.splitlines()[1].startswith("fra1")
