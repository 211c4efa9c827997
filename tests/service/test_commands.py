"""The command service answers every command of the grammar for a caller, the same for every
channel: tested here once, not per channel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest

from cloudping import __version__
from cloudping.commands import COMMAND_NAMES, MEASUREMENT_COMMANDS, help_text, parse
from cloudping.errors import CloudpingError
from cloudping.events import Event, MeasurementEvent
from cloudping.runner.local import LocalRunner
from cloudping.service import ApiSettings, Caller, ChannelAccess, CommandService, Quota
from cloudping.service.caller import account_caller
from cloudping.store import MeasurementNotFoundError
from cloudping.testing import ScriptedAgent, scripted_hub

WAIT = 5.0  # seconds: the bound on every scenario
QUOTA = Quota(100, 100)
ALICE = Caller("alice", frozenset({"measure"}), QUOTA)
BOB = Caller("bob", frozenset({"measure"}), QUOTA)
ADMIN = Caller("root", frozenset({"measure", "admin"}), QUOTA)
_T = TypeVar("_T")


@asynccontextmanager
async def service(*, finishes: bool = True) -> AsyncIterator[CommandService]:
    fra1 = ScriptedAgent("fra1", finishes=finishes, country="DE", asn=3320, software="cloudping/9")
    ams1 = ScriptedAgent("ams1", country="NL", asn=1136, tags=("dn42",))
    async with scripted_hub(fra1, ams1) as hub:
        yield CommandService(hub, hub.store, ApiSettings())


def run(scenario: Callable[[CommandService], Awaitable[_T]], **options: Any) -> _T:
    """The scenario's result; a ``CloudpingError`` it raised is raised once the hub is down
    (inside, the hub's task group would wrap it in an ``ExceptionGroup``)."""

    async def bounded() -> _T | CloudpingError:
        async with asyncio.timeout(WAIT), service(**options) as commands:
            try:
                return await scenario(commands)
            except CloudpingError as exc:
                return exc

    outcome = asyncio.run(bounded())
    if isinstance(outcome, CloudpingError):
        raise outcome
    return outcome


def test_a_measurement_runs_on_the_hub_and_streams_from_measurement_to_end() -> None:
    events: list[Event] = []

    async def scenario(commands: CommandService) -> str:
        return await commands.run(ALICE, parse("ping -c 2 -s fra1 198.18.0.1"), events.append)

    measurement_id = run(scenario)
    assert [event.type for event in events] == [
        "measurement", "start", "reply", "reply", "summary", "end",
    ]  # fmt: skip
    assert isinstance(events[0], MeasurementEvent)
    assert events[0].id == measurement_id


def test_list_answers_the_agents_as_a_table_and_as_json() -> None:
    answer = run(lambda commands: commands.answer(ALICE, parse("list")))
    assert [agent["name"] for agent in answer.data["agents"]] == ["ams1", "fra1"]
    assert "AS3320" in answer.data["selectors"]
    header, *rows = answer.text.splitlines()
    assert header.split() == ["NAME", "COUNTRY", "CITY", "ASN", "NETWORK", "TAGS"]
    assert rows[1].split()[:4] == ["fra1", "DE", "-", "AS3320"]


def test_list_with_a_selector_keeps_the_agents_it_matches() -> None:
    answer = run(lambda commands: commands.answer(ALICE, parse("list dn42")))
    assert [agent["name"] for agent in answer.data["agents"]] == ["ams1"]


def test_version_names_the_hub_and_each_agent() -> None:
    answer = run(lambda commands: commands.answer(ALICE, parse("version")))
    assert answer.data["hub"] == __version__
    assert answer.data["agents"] == [
        {"name": "ams1", "software": None},
        {"name": "fra1", "software": "cloudping/9"},
    ]
    assert answer.text.splitlines() == [
        f"hub: cloudping {__version__}",
        "ams1: unknown",
        "fra1: cloudping/9",
    ]


def test_help_answers_the_grammars_help() -> None:
    answer = run(lambda commands: commands.answer(ALICE, parse("help ping")))
    assert answer.text == help_text("ping")
    assert answer.to_json() == {"command": "help", "text": help_text("ping"), "topic": "ping"}


def test_route_answers_not_implemented() -> None:
    with pytest.raises(CloudpingError) as refused:
        run(lambda commands: commands.answer(ALICE, parse("route 198.18.0.0/24")))
    assert refused.value.code == "not_implemented"
    assert "not built" in refused.value.message


def test_token_is_refused_naming_the_channel_that_cannot_issue_it() -> None:
    mcp = Caller("alice", frozenset({"measure"}), QUOTA, channel="mcp")
    with pytest.raises(CloudpingError) as refused:
        run(lambda commands: commands.answer(mcp, parse("token")))
    assert refused.value.code == "token_not_issued"
    assert refused.value.fields["channel"] == "mcp"


def test_a_measurement_is_not_answered_but_run() -> None:
    with pytest.raises(CloudpingError) as refused:
        run(lambda commands: commands.answer(ALICE, parse("ping 198.18.0.1")))
    assert refused.value.code == "is_a_measurement"


def test_every_command_of_the_grammar_is_run_or_answered() -> None:
    """No command falls through: each one is a measurement, or has an answer (or a code)."""
    answered = {"list", "version", "help", "ipinfo", "route", "token"}
    assert set(COMMAND_NAMES) == MEASUREMENT_COMMANDS | answered


def test_the_owner_cancels_a_running_measurement_and_gets_its_final_status() -> None:
    async def scenario(commands: CommandService) -> tuple[str, list[str]]:
        measurement_id = await commands.start(ALICE, parse("ping -c 3 -s fra1 198.18.0.1"))
        status = await commands.cancel(ALICE, measurement_id)
        stored = await commands.stored(ALICE, measurement_id)
        return status, [event.event["type"] for event in stored.events]

    status, types = run(scenario, finishes=False)
    assert status == "cancelled"
    assert (types[0], types[-1]) == ("measurement", "end")


def test_someone_else_cannot_cancel_it_and_learns_nothing_but_an_admin_can() -> None:
    async def scenario(commands: CommandService) -> str:
        measurement_id = await commands.start(ALICE, parse("ping -c 3 -s fra1 198.18.0.1"))
        with pytest.raises(MeasurementNotFoundError):
            await commands.cancel(BOB, measurement_id)
        return await commands.cancel(ADMIN, measurement_id)

    assert run(scenario, finishes=False) == "cancelled"


def test_a_finished_measurement_cannot_be_cancelled() -> None:
    async def scenario(commands: CommandService) -> None:
        events: list[Event] = []
        measurement_id = await commands.run(
            ALICE, parse("ping -c 1 -s fra1 198.18.0.1"), events.append
        )
        await commands.cancel(ALICE, measurement_id)

    with pytest.raises(CloudpingError) as refused:
        run(scenario)
    assert (refused.value.code, refused.value.fields["status"]) == ("not_running", "done")


def test_an_account_linked_to_a_channel_identity_gets_that_channels_scopes_and_quota() -> None:
    telegram = ChannelAccess("telegram", frozenset({"measure"}), Quota(5, 2))
    caller = account_caller("telegram:42", telegram)
    assert (caller.subject, caller.channel, caller.quota) == (
        "telegram:42",
        "telegram",
        Quota(5, 2),
    )
    with pytest.raises(ValueError, match="telegram:<id>"):
        account_caller("mail:a@example.net", telegram)


def test_version_reads_the_same_here_and_through_a_hub() -> None:
    local = asyncio.run(LocalRunner().answer(parse("version")))
    through_hub = run(lambda commands: commands.answer(ALICE, parse("version")))
    assert local.data["version"] == through_hub.data["version"] == __version__
