"""``-s`` is ``--from`` (agents) in every channel, never iputils ping's payload size."""

from __future__ import annotations

import pytest

from cloudping.commands import parse
from cloudping.errors import UsageError
from cloudping.main import main

SIZE_HINT = "-s selects agents; the payload size is --size"
LOCAL_HINT = "-s/--from selects agents of a hub: use --hub URL, or leave it out to run here"
# Nothing listens on the discard port: a request sent there would fail with another message.
NO_HUB = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "argv",
    [
        ["ping", "-s", "100", "-c", "1", "127.0.0.1"],
        ["ping", "--from=fra1,100", "127.0.0.1"],
        ["ping", "from", "100", "127.0.0.1"],
        ["--hub", NO_HUB, "ping", "-s", "100", "-c", "1", "127.0.0.1"],
    ],
)
def test_a_numeric_s_is_a_usage_error_pointing_at_size(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    first, usage = captured.err.splitlines()
    assert first.startswith("cloudping: ping: ")
    assert SIZE_HINT in first
    assert usage.startswith("usage: ")
    assert "ping [-4|-6]" in usage


def test_every_text_channel_refuses_a_numeric_s_in_the_grammar() -> None:
    with pytest.raises(UsageError, match=SIZE_HINT) as caught:
        parse("/ping -s 100 198.18.3.2")
    assert caught.value.word == "100"


def test_a_named_agent_still_parses_as_from() -> None:
    cmd = parse("ping -s fra1,DE+AS3320 198.18.3.2")
    assert str(getattr(cmd, "from_", None)) == "fra1,DE+AS3320"


@pytest.mark.parametrize(
    "argv",
    [
        ["ping", "-s", "fra1", "-c", "1", "127.0.0.1"],
        ["--json", "ping", "--limit", "2", "-c", "1", "127.0.0.1"],
        ["tcping", "from", "DE", "127.0.0.1:9"],
    ],
)
def test_agents_asked_of_a_local_run_are_refused_before_any_packet(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"cloudping: {LOCAL_HINT}\n"
