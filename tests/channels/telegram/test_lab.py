"""The bot in the lab: ``cloudping hub`` (in r2) with agents a1 and a2, real packets to the
target, and the Bot API stand-in served from this process on a socket in r2's namespace.

```
a1 (agent) --+
             r1 --- r2: cloudping hub --telegram-api-url http://127.0.0.1:PORT (the stand-in)
a2 (agent2) -+       |
                     target 198.18.3.2
```
"""

from __future__ import annotations

import io
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hub.labhub import LabHub
from lab import Lab
from PIL import Image
from upprocess import issue_token

from .botapi import TOKEN, USER, BotApi, Sent
from .netns import listening_in

ADA: int = USER["id"]
TARGET = "198.18.3.2"
INTERVAL_S = 1.0  # the bot's edit interval in a private chat (its default)
WAIT_S = 30.0


@pytest.fixture(scope="module")
def botapi(lab: Lab) -> Iterator[BotApi]:
    server = BotApi().start(listening_in(lab, "r2"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def labbot(lab: Lab, botapi: BotApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHub]:
    """The hub with the bot (Ada may probe the lab's ranges) and both agents."""
    data = tmp_path_factory.mktemp("labbot")
    token_file = data / "bot-token"
    token_file.write_text(TOKEN)
    running = LabHub.create(lab, data)
    running.hub_args = (
        "--telegram-token-file", str(token_file), "--telegram-api-url", botapi.url,
        "--telegram-grant", f"{ADA}=measure,private",
    )  # fmt: skip
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def bot(labbot: LabHub, botapi: BotApi) -> BotApi:
    """The stand-in, once the hub and both agents run and the bot polls."""
    labbot.ensure_running()
    botapi.wait(lambda a: [c for c in a.called("getUpdates") if not c.done], WAIT_S, "polling")
    return botapi


def until_shows(api: BotApi, sent: Sent, marker: str) -> Sent:
    """The message ``sent`` once an edit made it show ``marker``."""
    key = (sent.chat_id, sent.message_id)
    found: Sent = api.wait(lambda a: marker in a.sent[key].text and a.sent[key], WAIT_S, marker)
    return found


def ask(api: BotApi, text: str, marker: str) -> Sent:
    """Send ``text``; the bot's new message once it shows ``marker``."""
    before = {m.message_id for m in api.messages(ADA)}
    api.say(text)

    def shown(a: BotApi) -> Sent | None:
        fresh = [m for m in a.messages(ADA) if m.message_id not in before and marker in m.text]
        return fresh[-1] if fresh else None

    found: Sent = api.wait(shown, WAIT_S, f"{marker!r} after {text!r}")
    return found


def journal_empties(labbot: LabHub) -> None:
    """The journal strikes a message just after its last edit (a file write on a worker
    thread): poll the file until it is empty, within the bound."""
    deadline = time.monotonic() + WAIT_S
    while running_ids(labbot):
        assert time.monotonic() < deadline, f"still running: {running_ids(labbot)}"
        time.sleep(0.02)


def running_ids(labbot: LabHub) -> list[str]:
    journal = labbot.data_dir / "telegram" / "running.json"
    rows: list[dict[str, Any]] = json.loads(journal.read_text()) if journal.exists() else []
    return [row["measurement"] for row in rows]


def test_ping_ends_in_one_message_with_three_replies_and_edits_within_the_limit(
    bot: BotApi,
) -> None:
    done = ask(bot, f"/ping -c 3 -s a1 {TARGET}", "ok in")
    assert done.text.count(f"bytes from {TARGET}") == 3
    assert "3 packets transmitted, 3 received, 0% packet loss" in done.text
    assert "rtt min/avg/max/mdev" in done.text
    # The first result at once, then at most one edit per interval (~3 s of pings: few edits).
    assert 1 <= done.edits <= 5
    gaps = [b - a for a, b in itertools.pairwise(done.edit_times)]
    assert all(gap >= INTERVAL_S * 0.95 for gap in gaps), gaps


def test_a_429_mid_run_still_ends_in_the_final_state(bot: BotApi) -> None:
    first = ask(bot, f"/ping -c 4 -s a1 {TARGET}", "bytes from")
    bot.fail_next("editMessageText", 429, "Too Many Requests: retry after 2", retry_after=2)
    done = until_shows(bot, first, "ok in")
    assert "4 packets transmitted, 4 received" in done.text
    limited = next(c for c in bot.called("editMessageText") if c.error_code == 429)
    after = [c for c in bot.called("editMessageText") if c.at > limited.at]
    assert after
    assert all(c.at - limited.at >= 2.0 for c in after)


def test_an_agent_button_reruns_from_the_other_agent_in_the_same_message(bot: BotApi) -> None:
    done = ask(bot, f"/ping -c 2 -s a1 {TARGET}", "ok in")
    assert "agents: a1 - ok" in done.text
    bot.press(done, "a2")
    again = until_shows(bot, done, "agents: a2 - ok")
    assert again.text.count(f"bytes from {TARGET}") == 2
    assert "✅ a2" in [label for label, _ in again.buttons]


def test_stop_cancels_the_measurement_and_the_store_says_cancelled(
    bot: BotApi, labbot: LabHub
) -> None:
    journal_empties(labbot)  # earlier tests' runs have ended
    live = ask(bot, f"/ping -c 30 -s a1 {TARGET}", "bytes from")
    (measurement,) = running_ids(labbot)
    bot.press(live, "Stop")
    done = until_shows(bot, live, "cancelled in")
    assert not any("Stop" in label for label, _ in done.buttons)
    admin = issue_token(labbot.data_dir, "lab-admin", "api", "admin")
    labbot.api_token, user = admin, labbot.api_token
    try:
        stored = labbot.get(f"/measurements/{measurement}")
    finally:
        labbot.api_token = user
    assert stored["status"] == "cancelled"
    journal_empties(labbot)


def test_scan_sends_a_png_that_decodes(bot: BotApi) -> None:
    before = {m.message_id for m in bot.messages(ADA)}
    bot.say("/scan -W 0.2 -s a1 198.18.9.0/24")
    photo = bot.wait(
        lambda a: next((m for m in a.messages(ADA) if m.photo and m.message_id not in before),
                       None), WAIT_S,
    )  # fmt: skip
    assert photo.caption == "198.18.9.0/24 from a1: 0 alive of 256"
    assert photo.photo is not None
    image = Image.open(io.BytesIO(photo.photo))
    image.load()
    assert image.format == "PNG"


def test_traceroute_shows_the_three_hops(bot: BotApi, lab: Lab) -> None:
    done = ask(bot, f"/traceroute -s a1 {TARGET}", "ok in")
    for hop, address in enumerate(lab.hops(4), start=1):
        assert any(line.startswith(f"{hop} ") and address in line for line in done.text.split("\n"))


def test_a_hub_killed_mid_run_leaves_its_message_interrupted_after_the_restart(
    bot: BotApi, labbot: LabHub
) -> None:
    journal_empties(labbot)  # earlier tests' runs have ended
    live = ask(bot, f"/ping -c 60 -s a1 {TARGET}", "bytes from")
    assert len(running_ids(labbot)) == 1
    assert labbot.hub is not None
    labbot.hub.kill()  # a crash: no graceful end, the message still says running
    labbot.stop_hub()
    labbot.ensure_running()
    done = until_shows(bot, live, "interrupted")
    assert "agents: a1 - interrupted" in done.text
    journal_empties(labbot)


def test_a_group_ignores_chatter_and_other_bots_and_a_stranger_is_told_why(bot: BotApi) -> None:
    group = {"id": -200, "type": "supergroup", "title": "noc"}
    stranger = {"id": 2002, "is_bot": False, "first_name": "Eve"}
    bot.say("is the network slow today?", chat=group)
    bot.say(f"/ping@spam_bot {TARGET}", chat=group)
    bot.say(f"/ping@cloudping_test_bot -c 1 -s a2 {TARGET}", chat=group)
    bot.say(f"/ping {TARGET}", user=stranger)
    bot.wait(lambda a: any("ok in" in m.text for m in a.messages(-200)), WAIT_S, "the group ping")
    refusal = bot.wait(lambda a: a.messages(2002), WAIT_S, "the refusal")
    (answered,) = bot.messages(-200)  # the chatter and the other bot's command got nothing
    assert answered.text.split("\n")[1].startswith("agents: a2 - ok in")
    assert "Your Telegram id is 2002" in refusal[0].text
