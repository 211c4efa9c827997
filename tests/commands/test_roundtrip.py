"""format_command and to_json invert parse and from_json, for every kind of command."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from cloudping.commands import (
    COMMAND_NAMES,
    Command,
    HttpCommand,
    PingCommand,
    Selection,
    format_command,
    from_json,
    parse,
    to_json,
)

from .strategies import commands, commands_of


@settings(max_examples=400)
@given(commands)
def test_parsing_the_formatted_command_gives_it_back(command: Command) -> None:
    assert parse(format_command(command)) == command


@settings(max_examples=400)
@given(commands)
def test_reading_the_json_form_gives_the_command_back(command: Command) -> None:
    assert from_json(to_json(command)) == command


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_command_kind_round_trips_through_text(name: str) -> None:
    @settings(max_examples=40)
    @given(commands_of(name))
    def round_trip(command: Command) -> None:
        assert parse(format_command(command)) == command

    round_trip()


def test_the_canonical_text_holds_only_options_that_differ_from_defaults() -> None:
    assert format_command(PingCommand(targets=("x",), count=4, proto="icmp")) == "ping x"


def test_the_canonical_text_uses_short_flags_in_table_order() -> None:
    command = parse("ping x --proto udp --count=3 -p 53 from DE+AS3320,fra1 -6")
    assert format_command(command) == "ping -6 -c 3 --proto udp -p 53 -s DE+AS3320,fra1 x"


def test_the_canonical_text_quotes_values_with_spaces() -> None:
    command = HttpCommand(urls=("https://x/",), headers=(("X-A", "b c"),))
    assert format_command(command) == "http -H 'X-A: b c' https://x/"


def test_a_value_starting_with_a_dash_is_attached_to_the_long_flag() -> None:
    command = HttpCommand(urls=("https://x/",), method="POST", data="-v")
    assert format_command(command) == "http -X POST --data=-v https://x/"


def test_a_target_named_from_is_placed_after_a_double_dash() -> None:
    assert format_command(PingCommand(targets=("from",))) == "ping -- from"


def test_seconds_are_written_without_a_needless_fraction() -> None:
    assert (
        format_command(PingCommand(targets=("x",), interval=2.0, timeout=0.25))
        == "ping -i 2 -W 0.25 x"
    )


def test_the_json_form_carries_every_field_under_its_json_key() -> None:
    command = PingCommand(
        targets=("x",), count=3, from_=Selection(selectors=(("DE", "AS3320"),), limit=2)
    )
    assert to_json(command) == {
        "command": "ping",
        "targets": ["x"],
        "family": None,
        "count": 3,
        "interval": 1.0,
        "timeout": 2.0,
        "size": 56,
        "ttl": None,
        "df": False,
        "proto": "icmp",
        "port": None,
        "from": {"selectors": [["DE", "AS3320"]], "limit": 2},
    }
