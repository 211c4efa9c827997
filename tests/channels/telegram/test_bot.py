"""The bot on scripted agents against the Bot API stand-in: commands, live edits within the
limits, buttons, refusals, tokens, webhooks, failures of the Bot API."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from upprocess import free_port

from cloudping.auth import AuthError, KeyRing, SigningKey, TokenService
from cloudping.channels.plug import ChannelContext
from cloudping.channels.telegram.bot import TelegramChannel
from cloudping.channels.telegram.journal import Entry, Journal
from cloudping.channels.telegram.presses import NOT_YOURS, STALE
from cloudping.service import ApiSettings, CommandService, Quota
from cloudping.testing import ScriptedAgent, scripted_hub

from .botapi import NOT_MODIFIED, TOKEN, USER, BotApi, Json, Sent
from .world import bot_world, settings_for

ADA: int = USER["id"]


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
        done = await api.until(lambda a: finished(a, ADA), what="the final state")
    assert [m.message_id for m in api.messages(ADA)] == [done.message_id]
    published = [command["command"] for command in api.commands]
    assert {"ping", "trace", "traceroute", "scan", "probe", "token", "start"} <= set(published)
    assert "3 packets transmitted" in done.text
    assert done.text.count("bytes from") == 3
    assert any("Again" in label for label, _ in done.buttons)


GROUP: Json = {"id": -100, "type": "group", "title": "noc"}
STRANGER: Json = {"id": 2002, "is_bot": False, "first_name": "Eve"}
OTHER_BOT: Json = {"id": 3003, "is_bot": True, "first_name": "Spam", "username": "spam_bot"}


def texts(api: BotApi, chat: int) -> list[str]:
    return [m.text for m in api.messages(chat)]


@pytest.mark.anyio
async def test_a_group_answers_its_commands_and_ignores_chatter_and_other_bots(
    api: BotApi, tmp_path: Path
) -> None:
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api)):
        api.say("what a lovely day", chat=GROUP)
        api.say("/version@spam_bot", chat=GROUP)
        api.say("/version@cloudping_test_bot", chat=GROUP, user=OTHER_BOT)
        api.say("/list@cloudping_test_bot", chat=GROUP)
        await api.until(lambda a: texts(a, -100), what="the answer to /list")
        # Updates are handled in order; give the ignored ones as long as the answered one took.
        api.say("/version@cloudping_test_bot", chat=GROUP)
        await api.until(lambda a: len(texts(a, -100)) == 2, what="the answer to /version")
    answered = texts(api, -100)
    assert "NAME" in answered[0]
    assert "fra1" in answered[0]
    assert answered[1].startswith("hub: cloudping")
    assert len(api.called("sendMessage")) == 2


@pytest.mark.anyio
async def test_a_user_nobody_allowed_is_told_why_and_their_id(api: BotApi, tmp_path: Path) -> None:
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api)):
        api.say("/ping example.com", user=STRANGER)
        refused = await api.until(lambda a: texts(a, 2002), what="the refusal")
    assert "Your Telegram id is 2002" in refused[0]


@pytest.mark.anyio
async def test_a_user_over_the_quota_is_told_which_limit_and_when_it_resets(
    api: BotApi, tmp_path: Path
) -> None:
    limits = ApiSettings(guest_quota=Quota(1, 4))
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api),
                         api_settings=limits):  # fmt: skip
        api.say("/ping -c 1 example.com")
        await api.until(lambda a: finished(a, ADA), what="the first ping")
        api.say("/ping -c 1 example.com")
        await api.until(lambda a: len(texts(a, ADA)) == 2, what="the refusal")
    refusal = texts(api, ADA)[1]
    assert "refused (quota_exceeded)" in refusal
    assert re.search(r"limit: measurements_per_hour, resets in (59|60) min .* UTC\)", refusal)


@pytest.mark.anyio
async def test_a_usage_error_names_the_word_and_shows_the_usage_and_unknown_gets_short_help(
    api: BotApi, tmp_path: Path
) -> None:
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api)):
        api.say("/ping -c zero example.com")
        api.say("/pong example.com")
        await api.until(lambda a: len(texts(a, ADA)) == 2, what="both answers")
    sent = {m.text.split("\n")[0]: m for m in api.messages(ADA)}
    usage = next(m for first, m in sent.items() if "zero" in first)
    short = next(m for first, m in sent.items() if "pong" in first)
    assert "<pre>usage: /ping [-4|-6]" in usage.html
    assert "commands:" in short.text
    assert "traceroute" in short.text


@pytest.mark.anyio
async def test_token_issues_a_working_token_in_private_and_revoke_ends_it(
    api: BotApi, tmp_path: Path
) -> None:
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api)) as w:
        api.say("/token@cloudping_test_bot", chat=GROUP)
        api.say("/token")
        issued = await api.until(
            lambda a: next((t for t in texts(a, ADA) if "API/MCP token" in t), None)
        )
        token = issued.split("\n")[1]
        principal = w.tokens.verify(token, "api", time.time())
        assert principal.subject == "telegram:1001"
        assert "https://ping.example.net/mcp" in issued
        api.say(f"/token revoke {principal.token_id}")
        await api.until(lambda a: any("is revoked" in t for t in texts(a, ADA)))
        with pytest.raises(AuthError, match="revoked"):
            w.tokens.verify(token, "api", time.time())
        await api.until(lambda a: texts(a, -100))
    assert "private chat" in texts(api, -100)[0]


@pytest.mark.anyio
async def test_a_429_mid_run_delays_the_next_edit_and_the_final_state_still_shows(
    api: BotApi, tmp_path: Path
) -> None:
    agent = ScriptedAgent("fra1", finishes=False)
    async with bot_world(api, tmp_path, agent, settings=settings_for(api)):
        api.fail_next("editMessageText", 429, "Too Many Requests: retry after 1", retry_after=1)
        api.say("/ping -c 3 example.com")
        await api.until(lambda a: [c for c in a.called("editMessageText") if c.done])
        agent.finish(agent.offers[0].job_id)
        done = await api.until(lambda a: finished(a, ADA), what="the final state")
    limited, *later = api.called("editMessageText")
    assert limited.error_code == 429
    assert later
    assert all(call.at - limited.at >= 1.0 for call in later)
    assert "3 packets transmitted" in done.text


@pytest.mark.anyio
async def test_a_blocked_chat_and_a_vanished_message_are_survived(
    api: BotApi, tmp_path: Path
) -> None:
    agent = ScriptedAgent("fra1", finishes=False)
    async with bot_world(api, tmp_path, agent, settings=settings_for(api)):
        api.blocked.add(ADA)
        api.say("/ping -c 1 example.com")
        await api.until(lambda a: any(c.error_code == 403 for c in a.called("sendMessage")))
        api.blocked.clear()
        api.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
        api.say("/ping -c 2 example.com")
        await api.until(lambda a: any(c.error_code == 400 for c in a.called("editMessageText")))
        api.say("/version")
        await api.until(lambda a: any("hub: cloudping" in t for t in texts(a, ADA)))
    journal = json.loads((tmp_path / "telegram" / "running.json").read_text())
    assert journal == []  # the vanished message is not waited for


@pytest.mark.anyio
async def test_stop_cancels_the_measurement_and_the_store_says_so(
    api: BotApi, tmp_path: Path
) -> None:
    agent = ScriptedAgent("fra1", finishes=False)
    async with bot_world(api, tmp_path, agent, settings=settings_for(api)) as w:
        api.say("/ping -c 5 example.com")
        live = await api.until(lambda a: next((m for m in a.messages(ADA)
                                              if "bytes from" in m.text), None))  # fmt: skip
        query = api.press(live, "Stop")
        done = await api.until(lambda a: finished(a, ADA, "cancelled in"))
        stored = await w.service.store.get(agent.offers[0].job_id.split(".")[0], events=False)
    assert stored.status == "cancelled"
    assert agent.cancels
    assert any("Again" in label for label, _ in done.buttons)
    assert any(
        c.params.get("callback_query_id") == query for c in api.called("answerCallbackQuery")
    )


@pytest.mark.anyio
async def test_an_agent_button_reruns_from_that_agent_in_the_same_message(
    api: BotApi, tmp_path: Path
) -> None:
    agents = ScriptedAgent("fra1", country="DE"), ScriptedAgent("ams1", country="NL")
    async with bot_world(api, tmp_path, *agents, settings=settings_for(api)):
        api.say("/ping -c 2 -s fra1 example.com")
        first = await api.until(lambda a: finished(a, ADA))
        assert "agents: fra1 - ok" in first.text
        api.press(first, "ams1")
        again = await api.until(lambda a: finished(a, ADA, "agents: ams1 - ok"))
    assert again.message_id == first.message_id
    assert len(api.messages(ADA)) == 1
    assert "✅ 🇳🇱 ams1" in [label for label, _ in again.buttons]


@pytest.mark.anyio
async def test_picture_sends_the_png_and_a_scan_sends_its_bitmap_with_a_caption(
    api: BotApi, tmp_path: Path
) -> None:
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api)):
        api.say("/scan 192.0.2.0/28")
        bitmap = await api.until(lambda a: next((m for m in a.messages(ADA) if m.photo),
                                                None))  # fmt: skip
        api.say("/ping -c 1 example.com")
        done = await api.until(lambda a: finished(a, ADA, "1 packets transmitted"))
        api.press(done, "Picture")
        await api.until(lambda a: len([m for m in a.messages(ADA) if m.photo]) == 2)
    assert bitmap.caption == "192.0.2.0/28 from fra1: 4 alive of 16"
    for photo in (m.photo for m in api.messages(ADA) if m.photo):
        image = Image.open(io.BytesIO(photo))
        image.load()
        assert image.format == "PNG"
        assert image.width >= 200


@pytest.mark.anyio
async def test_a_stale_button_gets_a_short_notice(api: BotApi, tmp_path: Path) -> None:
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api)):
        api.say("/ping -c 1 example.com")
        done = await api.until(lambda a: finished(a, ADA))
        api.press_data(done, "gone1234:g0")
        answer = await api.until(lambda a: [c for c in a.called("answerCallbackQuery") if c.done])
    assert answer[0].params["text"] == STALE
    assert len(api.messages(ADA)) == 1


@pytest.mark.anyio
async def test_the_bot_token_is_in_no_log_line(
    api: BotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.fail_next("editMessageText", 502, "Bad Gateway")
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings_for(api)):
        api.say("/ping -c 2 example.com")
        await api.until(lambda a: finished(a, ADA), what="the final state")
    secret = TOKEN.partition(":")[2]
    assert any("getUpdates" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in (record.exc_text or "")


def test_the_journal_keeps_running_messages_privately_and_survives_damage(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "telegram"
    journal = Journal(folder)
    assert journal.load() == []
    first, second = Entry(1, 2, "m1", "telegram:1", "ping"), Entry(1, 3, "m2", "telegram:1", "scan")
    journal.add(first)
    journal.add(second)
    journal.strike(1, 2)
    assert Journal(folder).load() == [second]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    journal.path.write_text("{not json")
    assert Journal(folder).load() == []


@pytest.mark.anyio
async def test_a_group_shares_one_guest_quota_whoever_asks(api: BotApi, tmp_path: Path) -> None:
    limits = ApiSettings(guest_quota=Quota(1, 4))
    bob: Json = {"id": 1002, "is_bot": False, "first_name": "Bob"}
    settings = settings_for(api, allow=frozenset({GROUP["id"]}))
    async with bot_world(api, tmp_path, ScriptedAgent("fra1"), settings=settings,
                         api_settings=limits):  # fmt: skip
        api.say("/ping -c 1 example.com", chat=GROUP)
        await api.until(lambda a: finished(a, GROUP["id"]), what="the first ping")
        api.say("/ping -c 1 example.com", chat=GROUP, user=bob)
        await api.until(lambda a: len(texts(a, GROUP["id"])) == 2, what="the refusal")
    refusal = texts(api, GROUP["id"])[1]
    assert "refused (quota_exceeded): this group has started 1 measurements" in refusal
    assert "limit: measurements_per_hour_per_chat" in refusal


class Seen(logging.Handler):
    """Sets ``event`` when a record's message contains ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.event = text, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@pytest.mark.anyio
async def test_an_unreachable_bot_api_at_start_is_retried_and_the_hub_runs_on(
    tmp_path: Path,
) -> None:
    port = free_port(socket.SOCK_STREAM)
    api = BotApi()
    api.url = f"http://127.0.0.1:{port}"
    seen = Seen("Telegram Bot API unreachable")
    logging.getLogger("cloudping.channels.telegram").addHandler(seen)
    try:
        async with scripted_hub(ScriptedAgent("fra1")) as hub:
            service = CommandService(hub, hub.store, ApiSettings())
            tokens = TokenService(KeyRing.of(SigningKey.generate()))
            context = ChannelContext(service, tokens, tmp_path, listening=False)
            channel = TelegramChannel(context, settings_for(api))
            async with channel.running():
                assert await asyncio.to_thread(seen.event.wait, 20)
                assert await service.agents()  # the hub serves meanwhile
                listener = socket.socket()
                listener.bind(("127.0.0.1", port))
                listener.listen(16)
                api.start(listener)
                async with asyncio.timeout(20):
                    await channel.ready.wait()
                api.say("/version")
                await api.until(lambda a: texts(a, ADA), what="an answer once it is up")
    finally:
        logging.getLogger("cloudping.channels.telegram").removeHandler(seen)
        api.stop()


@pytest.mark.anyio
async def test_in_a_group_only_the_asker_may_stop_or_redirect_a_result(
    api: BotApi, tmp_path: Path
) -> None:
    bob: Json = {"id": 1002, "is_bot": False, "first_name": "Bob"}
    agent = ScriptedAgent("fra1", finishes=False)
    settings = settings_for(api, allow=frozenset({GROUP["id"]}))
    async with bot_world(api, tmp_path, agent, settings=settings):
        api.say("/ping -c 5 example.com", chat=GROUP)
        live = await api.until(lambda a: finished(a, GROUP["id"], "bytes from"))
        refused = api.press(live, "Stop", user=bob, chat=GROUP)
        await api.until(lambda a: refused in answered_queries(a))
        api.press(live, "Stop", chat=GROUP)
        await api.until(lambda a: finished(a, GROUP["id"], "cancelled in"))
    notices = {c.params["callback_query_id"]: c.params.get("text") for c in
               api.called("answerCallbackQuery")}  # fmt: skip
    assert notices[refused] == NOT_YOURS
    assert len(agent.cancels) == 1


def answered_queries(api: BotApi) -> list[str]:
    return [c.params["callback_query_id"] for c in api.called("answerCallbackQuery") if c.done]


@pytest.mark.anyio
async def test_not_modified_counts_as_shown_and_a_stopping_hub_shows_every_final_state(
    api: BotApi, tmp_path: Path
) -> None:
    agent = ScriptedAgent("fra1", finishes=False)
    async with bot_world(api, tmp_path, agent, settings=settings_for(api)):
        api.fail_next("editMessageText", 400, NOT_MODIFIED)
        api.say("/ping -c 5 example.com")
        live = await api.until(lambda a: finished(a, ADA, "running"))
        await api.until(lambda a: any(c.error_code == 400 for c in a.called("editMessageText")))
        agent.finish(agent.offers[0].job_id)
        await api.until(lambda a: finished(a, ADA, "5 packets transmitted"))
        api.say("/ping -c 5 example.com")
        second = await api.until(
            lambda a: next((m for m in a.messages(ADA) if m.message_id != live.message_id), None)
        )
    # Leaving the block stops the bot as the hub does: runs cancelled, final states shown.
    assert "cancelled in" in api.sent[(ADA, second.message_id)].text
    assert json.loads((tmp_path / "telegram" / "running.json").read_text()) == []


@pytest.mark.anyio
async def test_a_running_scan_s_bitmap_is_redrawn_in_one_photo_then_captioned(
    api: BotApi, tmp_path: Path
) -> None:
    agent = ScriptedAgent("fra1", finishes=False)
    settings = settings_for(api, photo_interval_s=0.2)
    async with bot_world(api, tmp_path, agent, settings=settings):
        api.say("/scan 192.0.2.0/28")
        early = await api.until(
            lambda a: next((m for m in a.messages(ADA) if m.photo and m.caption), None)
        )
        assert early.caption == "scanning…"
        agent.finish(agent.offers[0].job_id)
        await api.until(lambda a: "alive of 16" in a.sent[(ADA, early.message_id)].caption)
    photos = [m for m in api.messages(ADA) if m.photo]
    assert len(photos) == 1
    assert photos[0].caption == "192.0.2.0/28 from fra1: 4 alive of 16"
    assert photos[0].edits >= 1
    assert Image.open(io.BytesIO(photos[0].photo or b"")).format == "PNG"
