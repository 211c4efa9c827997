"""The bot's sans-IO pieces: reading a message, who may use the bot, when to edit, the
buttons and their callback data, bounded state, the options."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cloudping.channels.telegram.access import Admitted, Refused, admit
from cloudping.channels.telegram.buttons import (
    MAX_DATA_BYTES,
    AgentChoice,
    Press,
    flag,
    keyboard,
    read_press,
)
from cloudping.channels.telegram.pacing import SEND, SKIP, Pace, Wait, decide
from cloudping.channels.telegram.reading import chat_kind, command_line
from cloudping.channels.telegram.recent import Recent
from cloudping.channels.telegram.settings import TelegramSettings, add_options, settings_from
from cloudping.service import ApiSettings, Quota

BOT = "cloudping_bot"
BOT_TOKEN = "1:x"  # noqa: S105 (not a real one)


@pytest.mark.parametrize(
    ("text", "chat", "expected"),
    [
        ("/ping -c 3 example.com", "private", "ping -c 3 example.com"),
        ("/ping@cloudping_bot example.com", "group", "ping example.com"),
        ("/ping@CloudPing_Bot example.com", "supergroup", "ping example.com"),
        ("/ping@otherbot example.com", "group", None),
        ("ping example.com", "private", "ping example.com"),
        ("nice weather today", "group", None),
        ("/start", "private", "help"),
        ("/", "private", None),
        ("   ", "private", None),
    ],
)
def test_a_message_becomes_a_command_line_only_when_it_is_for_this_bot(
    text: str, chat: str, expected: str | None
) -> None:
    assert command_line(text, chat, BOT, from_bot=False) == expected  # type: ignore[arg-type]


def test_a_chat_kind_the_bot_api_adds_later_is_not_answered() -> None:
    assert chat_kind("supergroup") == "supergroup"
    assert chat_kind("forum_topic_of_the_future") == "channel"
    assert command_line("/ping x", chat_kind("forum_topic_of_the_future"), BOT,
                        from_bot=False) is None  # fmt: skip


def test_messages_from_bots_are_never_answered() -> None:
    assert command_line("/ping@cloudping_bot x", "group", BOT, from_bot=True) is None


def test_the_first_result_goes_at_once_and_later_edits_keep_the_chat_interval() -> None:
    pace = Pace().wrote(10.0)
    assert decide(10.1, pace, 1.0, "running", "reply 1", first=True) == SEND
    pace = pace.wrote(10.1)
    assert decide(10.3, pace, 1.0, "reply 1", "reply 2", first=False) == Wait(11.1)
    assert decide(11.1, pace, 1.0, "reply 1", "reply 3", first=False) == SEND


def test_identical_text_is_never_sent() -> None:
    assert decide(99.0, Pace(), 1.0, "same", "same", first=True) == SKIP


def test_after_a_429_nothing_goes_before_retry_after_not_even_the_first_result() -> None:
    pace = Pace().wrote(5.0).told_to_wait(5.5, 7)
    assert decide(6.0, pace, 1.0, "a", "b", first=True) == Wait(12.5)
    assert decide(12.5, pace, 1.0, "a", "final", first=False) == SEND


def test_a_group_interval_of_three_seconds_keeps_twenty_edits_a_minute() -> None:
    pace, now, edits = Pace(), 0.0, 0
    while now < 60.0:
        decision = decide(now, pace, 3.0, str(edits), str(edits + 1), first=False)
        if decision == SEND:
            pace, edits = pace.wrote(now), edits + 1
        now += 0.1
    assert edits == 20


def test_callback_data_is_short_and_reads_back() -> None:
    press = Press("AbC123xy", "agent", 57)
    assert read_press(press.data()) == press
    assert read_press("junk") is None
    assert read_press("key:z1") is None
    agents = [AgentChoice(f"agent-with-a-long-name-{n:02d}", "DE") for n in range(40)]
    for row in keyboard("AbC123xy", "ping", agents, ["agent-with-a-long-name-03"],
                        running=True, page=6):  # fmt: skip
        for _, data in row:
            assert len(data.encode()) <= MAX_DATA_BYTES


def test_agents_are_paged_with_the_chosen_ones_marked() -> None:
    agents = [AgentChoice(f"a{n}", "NL") for n in range(8)]
    first = keyboard("k", "traceroute", agents, ["a1"], running=False)
    labels = [label for row in first for label, _ in row]
    assert labels[:3] == ["🔁 Again", "mtr", "🖼 Picture"]
    assert "✅ 🇳🇱 a1" in labels
    assert "a7" not in " ".join(labels)
    assert labels[-2:] == ["1/2", "▶"]
    second = [label for row in keyboard("k", "dns", agents, [], running=True, page=1)
              for label, _ in row]  # fmt: skip
    assert second[0] == "⏹ Stop"
    assert "mtr" not in second
    assert "🇳🇱 a7" in second
    assert second[-2:] == ["◀", "2/2"]


def test_a_flag_is_two_regional_letters_or_nothing() -> None:
    assert flag("de") == "🇩🇪 "
    assert flag(None) == flag("DEU") == flag("1A") == ""


def test_recent_state_is_bounded_by_count_and_by_age() -> None:
    recent: Recent[str, int] = Recent(most=2, ttl_s=10.0)
    recent.put("a", 1, now=0.0)
    recent.put("b", 2, now=1.0)
    assert recent.get("a", now=2.0) == 1  # a is now the most recently used
    recent.put("c", 3, now=3.0)
    assert recent.get("b", now=3.0) is None
    assert len(recent) == 2
    assert recent.get("c", now=13.1) is None  # too old


GUEST, USER = Quota(20, 4), Quota(120, 50)


def test_with_guests_off_only_named_users_and_chats_get_in() -> None:
    settings = TelegramSettings(token=BOT_TOKEN, allow=frozenset({7, -100}))
    api = ApiSettings(anonymous="off", guest_quota=GUEST, user_quota=USER)
    refused = admit(8, 8, settings, api)
    assert isinstance(refused, Refused)
    assert "8" in refused.reason
    assert "--telegram-allow" in refused.reason
    named = admit(7, 7, settings, api)
    in_group = admit(9, -100, settings, api)
    assert isinstance(named, Admitted)
    assert named.named
    assert isinstance(in_group, Admitted)
    assert in_group.caller.subject == "telegram:9"
    assert in_group.caller.quota == GUEST
    assert in_group.caller.scopes == {"measure"}


def test_guests_on_admit_anyone_with_the_guest_limits_and_grants_give_more() -> None:
    settings = TelegramSettings(token=BOT_TOKEN, grants=((5, frozenset({"measure", "private"})),))
    api = ApiSettings(anonymous="guest", guest_loopback_only=False, guest_quota=GUEST,
                      user_quota=USER)  # fmt: skip
    stranger = admit(8, 8, settings, api)
    granted = admit(5, 5, settings, api)
    assert isinstance(stranger, Admitted)
    assert not stranger.named
    assert stranger.caller.quota == GUEST
    assert isinstance(granted, Admitted)
    assert granted.named
    assert granted.caller.scopes == {"measure", "private"}
    assert granted.caller.quota == USER
    loopback_guests = ApiSettings(anonymous="guest", guest_quota=GUEST, user_quota=USER)
    assert isinstance(admit(8, 8, settings, loopback_guests), Refused)  # cloudping up's rule


def parsed(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_options(p)
    p.add_argument("--listen")
    return p.parse_args(argv)


def test_the_options_read_the_token_from_a_file_and_check_every_value(tmp_path: Path) -> None:
    token = tmp_path / "token"
    secret = "123:abc-DEF_ghi"  # noqa: S105 (a made-up token)
    token.write_text(secret + "\n")
    assert settings_from(parsed()) is None
    settings = settings_from(parsed(
        "--telegram-token-file", str(token), "--telegram-allow", "7,-100",
        "--telegram-grant", "7=measure,private", "--telegram-api-url", "http://127.0.0.1:81/",
    ))  # fmt: skip
    assert settings is not None
    assert settings.token == secret
    assert "abc" not in repr(settings)
    assert settings.api_url == "http://127.0.0.1:81"
    assert settings.allow == {7, -100}
    assert settings.granted(7) == frozenset({"measure", "private"})
    bad = [
        ("--telegram-grant", "7=root", "--telegram-grant"),
        ("--telegram-allow", "seven", "--telegram-allow"),
        ("--telegram-api-url", "ftp://x", "--telegram-api-url"),
        ("--telegram-webhook-url", "https://x.example/hook", "needs --listen"),
    ]
    for option, value, named in bad:
        with pytest.raises(ValueError, match=named):
            settings_from(parsed("--telegram-token-file", str(token), option, value))
    token.write_text("not a token")
    with pytest.raises(ValueError, match="--telegram-token-file"):
        settings_from(parsed("--telegram-token-file", str(token)))
