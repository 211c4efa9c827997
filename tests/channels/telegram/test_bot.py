"""The bot on scripted agents against the Bot API stand-in: commands, live edits within the
limits, buttons, refusals, tokens, webhooks, failures of the Bot API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudping.testing import ScriptedAgent

from .botapi import USER, BotApi, Sent
from .world import bot_world, settings_for


@pytest.fixture
def api() -> Iterator[BotApi]:
    server = BotApi().start()
    yield server
    server.stop()


def finished(api: BotApi, chat: int, marker: str = "ok in") -> Sent | None:
    return next((m for m in api.messages(chat) if marker in m.text), None)


@pytest.mark.anyio
async def test_a_ping_is_one_message_edited_until_it_shows_the_statistics(
    api: BotApi, tmp_path: Path
) -> None:
    async with bot_world(api, tmp_path, ScriptedAgent("fra1", country="DE"),
                         settings=settings_for(api)):  # fmt: skip
        api.say("/ping -c 3 example.com")
        done = await api.until(lambda a: finished(a, USER["id"]), what="the final state")
    assert [m.message_id for m in api.messages(USER["id"])] == [done.message_id]
    assert "3 packets transmitted" in done.text
    assert done.text.count("bytes from") == 3
    assert any("Again" in label for label, _ in done.buttons)
