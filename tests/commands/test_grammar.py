"""The shared grammar: options, aliases, FROM, help, as every channel types them."""

from __future__ import annotations

import pytest

from cloudping.commands import (
    DnsCommand,
    HelpCommand,
    HttpCommand,
    ListCommand,
    PingCommand,
    RouteCommand,
    ScanCommand,
    Selection,
    TcpingCommand,
    TokenCommand,
    TracerouteCommand,
    format_command,
    parse,
    parse_args,
)
from cloudping.errors import UsageError

from .helpers import parse_as

PING3 = PingCommand(targets=("x",), count=3)


@pytest.mark.parametrize(
    "line",
    ["ping -c 3 x", "ping -c3 x", "ping --count 3 x", "ping --count=3 x", "ping -c=3 x"],
)
def test_an_option_value_may_follow_in_any_argparse_spelling(line: str) -> None:
    assert parse(line) == PING3


def test_options_may_come_after_the_targets() -> None:
    assert parse("ping x -c 3") == PING3


def test_a_go_style_single_dash_long_flag_is_understood() -> None:
    assert parse("ping -count 3 x") == PING3


def test_a_phone_dash_before_a_flag_reads_as_two_hyphens() -> None:
    assert parse("ping \u2014count 3 x") == PING3


def test_command_names_are_case_insensitive() -> None:
    assert parse("PiNg -c 3 x") == PING3


def test_parse_args_takes_words_already_split() -> None:
    assert parse_args(["ping", "-c", "3", "x"]) == PING3


def test_parse_args_keeps_spaces_inside_words() -> None:
    command = parse_args(["http", "-H", "X-A: b c", "https://x.example/"])
    assert isinstance(command, HttpCommand)
    assert command.headers == (("X-A", "b c"),)


@pytest.mark.parametrize(("flag", "family"), [("-4", 4), ("-6", 6), ("--ipv4", 4), ("--ipv6", 6)])
def test_the_address_family_flags_set_the_family(flag: str, family: int) -> None:
    assert parse(f"ping {flag} x") == PingCommand(targets=("x",), family=family)


def test_a_boolean_flag_sets_true() -> None:
    assert parse("ping --df x") == PingCommand(targets=("x",), df=True)


def test_boolean_short_flags_may_be_clustered() -> None:
    command = parse("http -Lk https://x.example/")
    assert isinstance(command, HttpCommand)
    assert (command.follow, command.insecure) == (True, True)


def test_a_cluster_may_end_with_a_flag_taking_a_value() -> None:
    assert parse("ping -4c3 x") == PingCommand(targets=("x",), family=4, count=3)


def test_a_double_dash_ends_the_options() -> None:
    assert parse("ping -c 3 -- x") == PING3


def test_after_a_double_dash_from_is_a_target() -> None:
    assert parse("ping -- from") == PingCommand(targets=("from",))


def test_the_header_option_repeats_in_order() -> None:
    command = parse("http -H 'A: 1' -H 'B: two words' https://x.example/")
    assert isinstance(command, HttpCommand)
    assert command.headers == (("A", "1"), ("B", "two words"))


@pytest.mark.parametrize(
    ("alias", "model"), [("trace x", TracerouteCommand), ("probe 192.0.2.0/24", ScanCommand)]
)
def test_aliases_name_their_commands(alias: str, model: type) -> None:
    assert isinstance(parse(alias), model)


def test_several_targets_are_kept_in_order() -> None:
    assert parse_as("ping b a 2001:db8::1", PingCommand).targets == ("b", "a", "2001:db8::1")


def test_the_from_flag_takes_comma_alternatives_of_plus_terms() -> None:
    command = parse_as("ping -s fra1,DE+AS3320 x", PingCommand)
    assert command.from_ == Selection(selectors=(("fra1",), ("DE", "AS3320")))


def test_the_limit_flag_joins_the_selection() -> None:
    command = parse_as("ping --from DE --limit 3 x", PingCommand)
    assert command.from_ == Selection(selectors=(("DE",),), limit=3)


def test_a_limit_alone_asks_for_that_many_agents_anywhere() -> None:
    assert parse_as("ping --limit 3 x", PingCommand).from_ == Selection(limit=3)


def test_the_word_from_takes_one_selector_list() -> None:
    assert parse("ping from DE,fra1 example.com") == parse("ping -s DE,fra1 example.com")


def test_the_word_from_may_follow_the_targets() -> None:
    assert parse("ping example.com from DE+AS3320") == parse("ping -s DE+AS3320 example.com")


def test_the_word_from_is_case_insensitive() -> None:
    assert parse("ping FROM DE x") == parse("ping -s DE x")


def test_the_word_from_works_with_a_limit() -> None:
    command = parse_as("ping from DE --limit 2 x", PingCommand)
    assert command.from_ == Selection(selectors=(("DE",),), limit=2)


def test_from_is_an_ordinary_word_for_commands_without_agents() -> None:
    command = parse("list from")
    assert command == ListCommand(selector=Selection(selectors=(("from",),)))


@pytest.mark.parametrize("line", ["ping --help", "ping -h", "ping -c 3 x -h", "ping --cout 3 -h"])
def test_a_help_flag_anywhere_asks_for_help_on_the_command(line: str) -> None:
    assert parse(line) == HelpCommand(topic="ping")


def test_help_on_an_alias_names_the_canonical_command() -> None:
    assert parse("trace --help") == HelpCommand(topic="traceroute")


def test_the_help_command_takes_a_topic() -> None:
    assert parse("help ping") == HelpCommand(topic="ping")


def test_the_help_command_resolves_aliases_case_insensitively() -> None:
    assert parse("help PROBE") == HelpCommand(topic="scan")


def test_the_help_command_alone_has_no_topic() -> None:
    assert parse("help") == HelpCommand()


def test_a_value_spelled_like_a_flag_must_be_attached_with_equals() -> None:
    command = parse("http -X POST --data=--help https://x.example/")
    assert isinstance(command, HttpCommand)
    assert command.data == "--help"


def test_a_flag_where_a_value_should_be_is_read_as_that_flag() -> None:
    assert parse("http -d --help https://x.example/") == HelpCommand(topic="http")


def test_seconds_may_be_given_in_milliseconds() -> None:
    assert parse("ping -W 500ms -i 0.5s x") == PingCommand(
        targets=("x",), timeout=0.5, interval=0.5
    )


def test_choices_are_case_insensitive() -> None:
    assert parse("ping --proto UDP -p 53 x") == PingCommand(targets=("x",), proto="udp", port=53)


def test_tcping_targets_keep_their_ports() -> None:
    command = parse("tcping a.example:22 [2001:db8::1]:80 2001:db8::2 b.example")
    assert isinstance(command, TcpingCommand)
    assert command.endpoints == (
        ("a.example", 22),
        ("2001:db8::1", 80),
        ("2001:db8::2", 443),
        ("b.example", 443),
    )


def test_a_dns_type_may_be_a_name_a_number_or_generic() -> None:
    types = [parse_as(f"dns -t {t} x", DnsCommand).type for t in ("aaaa", "28", "TYPE28")]
    assert types == ["AAAA"] * 3


def test_a_dns_server_url_implies_doh() -> None:
    command = parse("dns --server https://dns.google/dns-query example.com")
    assert isinstance(command, DnsCommand)
    assert command.transport == "doh"


def test_route_takes_an_address_a_prefix_or_one_asn_query() -> None:
    assert parse("route 1.1.1.1/24") == RouteCommand(prefix="1.1.1.0/24")
    assert parse("route --origin AS13335") == RouteCommand(origin=13335)
    assert parse("route --path 'AS174 3356,13335'") == RouteCommand(path=(174, 3356, 13335))


def test_scan_keeps_the_prefix_in_canonical_form() -> None:
    assert parse("scan 192.0.2.77/24") == ScanCommand(cidr="192.0.2.0/24")


def test_list_takes_an_optional_selector() -> None:
    assert parse("list") == ListCommand()
    assert parse("list DE+dn42") == ListCommand(selector=Selection(selectors=(("DE", "dn42"),)))


def test_unicode_host_names_are_kept_as_typed() -> None:
    assert parse_as("ping m\u00fcnchen.de", PingCommand).targets == ("m\u00fcnchen.de",)


def test_token_revoke_takes_the_next_word_as_the_token_id() -> None:
    assert parse("token revoke 5fQv2Xn8") == TokenCommand(revoke="5fQv2Xn8")
    assert parse("token") == TokenCommand()
    assert format_command(TokenCommand(revoke="-x_1")) == "token --revoke=-x_1"
    assert parse("token revoke revoke") == TokenCommand(revoke="revoke")
    with pytest.raises(UsageError, match="revoke: missing ID") as missing:
        parse("token revoke")
    assert missing.value.usage == "usage: token [revoke ID]"
