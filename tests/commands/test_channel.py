"""Finding the command line in a chat message or an email body."""

from __future__ import annotations

import pytest

from cloudping.commands import PingCommand, parse
from cloudping.commands.channel import command_line


def test_a_telegram_command_addressed_to_the_bot_loses_the_slash_and_the_bot() -> None:
    assert command_line("/ping@mybot -c 3 x") == "ping -c 3 x"


def test_a_telegram_command_without_a_bot_loses_the_slash() -> None:
    assert command_line("/ping x") == "ping x"


def test_telegram_start_asks_for_help() -> None:
    assert command_line("/start") == "help"


def test_telegram_commands_parse_like_any_other() -> None:
    assert parse("/ping@mybot -c 3 x") == PingCommand(targets=("x",), count=3)


def test_leading_and_trailing_whitespace_is_ignored() -> None:
    assert command_line("\n\n   ping x   \n\n") == "ping x"


def test_crlf_line_ends_are_understood() -> None:
    assert command_line("\r\n\r\nping x\r\nsecond line\r\n") == "ping x"


def test_the_signature_and_everything_after_it_is_ignored() -> None:
    assert command_line("-- \r\nping x") == ""


def test_a_signature_after_the_command_does_not_matter() -> None:
    assert command_line("ping x\n-- \nBob\ntraceroute y") == "ping x"


def test_quoted_lines_are_ignored() -> None:
    assert command_line("> ping old.example\n>> dns older\nping new.example") == "ping new.example"


def test_a_greeting_before_the_command_is_skipped() -> None:
    assert command_line("Hi,\n\nplease run:\nping -c 2 x\nThanks") == "ping -c 2 x"


def test_without_any_command_line_the_first_line_is_returned_to_be_named() -> None:
    assert command_line("Hello there\nbye") == "Hello there"


@pytest.mark.parametrize("text", ["", "   \n\t\n", "> only quoted\n"])
def test_a_message_without_text_has_no_command_line(text: str) -> None:
    assert command_line(text) == ""


def test_an_email_body_parses_to_its_command() -> None:
    body = "Hi,\r\n\r\n  ping  -c  3\texample.com  \r\n\r\n> ping old\r\n-- \r\nBob\r\n"
    assert parse(body) == PingCommand(targets=("example.com",), count=3)
