"""Usage lines and help text come from the command table."""

from __future__ import annotations

import pytest

from cloudping.commands import (
    ALIASES,
    COMMAND_NAMES,
    as_invoked,
    command_list,
    help_text,
    parse,
    usage,
)
from cloudping.commands.table import SPECS
from cloudping.errors import UsageError


def test_the_ping_usage_line_follows_the_grammar() -> None:
    assert usage("ping") == (
        "usage: ping [-4|-6] [-c N] [-i SEC] [-W SEC] [--size BYTES] [--ttl N] [--df] "
        "[--proto icmp|udp|tcp] [-p PORT] [-s SELECTOR[,SELECTOR...]] [--limit N] TARGET..."
    )


def test_each_channel_types_the_command_its_own_way() -> None:
    line = usage("tcping")
    assert as_invoked(line, "cloudping ").startswith("usage: cloudping tcping [-4|-6] ")
    assert as_invoked(line, "/").startswith("usage: /tcping [-4|-6] ")
    assert as_invoked(help_text("dns"), "/").startswith("usage: /dns ")
    assert as_invoked("not a usage line", "/") == "not a usage line"


def test_the_overview_has_one_usage_line() -> None:
    lines = help_text().splitlines()
    assert [line for line in lines if line.startswith("usage:")] == [lines[0]]


def test_a_repeatable_option_is_marked_in_usage() -> None:
    assert "[-H 'Name: value']..." in usage("http")


def test_optional_positionals_are_bracketed() -> None:
    assert usage("list") == "usage: list [SELECTOR]"
    assert usage("version") == "usage: version"


def test_usage_accepts_aliases() -> None:
    assert usage("probe") == usage("scan")


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_help_on_a_command_starts_with_its_usage_line(name: str) -> None:
    assert help_text(name).startswith(usage(name) + "\n")


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_help_lists_every_option_with_its_help_string(name: str) -> None:
    text = help_text(name)
    for option in SPECS[name].options:
        assert ", ".join(option.flags) in text
        assert option.help in text


def test_help_shows_defaults_from_the_model() -> None:
    assert "packets to send to each target (default: 4)" in help_text("ping")
    assert "(default: 2)" in help_text("ping")


def test_help_explains_the_word_form_of_from() -> None:
    assert "'from SELECTOR[,SELECTOR...]'" in help_text("ping")


def test_commands_without_agents_do_not_mention_from() -> None:
    assert "FROM" not in help_text("ipinfo")


@pytest.mark.parametrize(
    ("name", "example"), [(s.name, e) for s in SPECS.values() for e in s.examples]
)
def test_every_help_example_parses_to_its_command(name: str, example: str) -> None:
    assert parse(example).command == name


def test_the_overview_lists_every_command_with_its_summary() -> None:
    text = help_text()
    for spec in SPECS.values():
        assert f"{spec.name:<12}{spec.summary}" in text


def test_the_overview_lists_the_table_line_by_line_in_its_order() -> None:
    # The overview reads the names and summaries without the table: the two must agree.
    lines = command_list().splitlines()
    assert lines[0] == "commands:"
    assert len(lines[1:-1]) == len(SPECS)
    for line, spec in zip(lines[1:-1], SPECS.values(), strict=True):
        assert line.removesuffix(f" (alias: {spec_alias(spec.name)})") == (
            f"  {spec.name:<12}{spec.summary}"
        )


def spec_alias(name: str) -> str:
    """The alias of the command ``name``, or an empty string."""
    return next((alias for alias, target in ALIASES.items() if target == name), "")


def test_the_overview_names_the_aliases() -> None:
    assert "(alias: trace)" in help_text()
    assert "(alias: probe)" in help_text()


def test_help_on_an_unknown_command_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="did you mean ping"):
        help_text("pnig")
