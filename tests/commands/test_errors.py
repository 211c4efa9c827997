"""Every malformed command is a UsageError that names the offending word and shows usage."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudping.commands import PingCommand, parse, parse_args, usage
from cloudping.commands.commandnames import GENERAL_USAGE
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS

from .helpers import parse_as

ELEVEN = " ".join(f"h{i}.example" for i in range(11))
HUGE = "ping " + "x" * 5000
MANY_WORDS = "ping " + " ".join(["x"] * 70)

# (command line, fragment of the message, the offending word)
MALFORMED: list[tuple[str, str, str | None]] = [
    ("pnig x", 'unknown command "pnig" (did you mean ping?)', "pnig"),
    ("frobnicate x", 'unknown command "frobnicate"', "frobnicate"),
    ("ping -c abc x", 'ping: -c: "abc" is not a whole number', "abc"),
    ("ping -c 1.5 x", '"1.5" is not a whole number', "1.5"),
    ("ping -c 0 x", "ping: -c: 0 is out of range (1\u2013100)", "0"),
    ("ping -c -3 x", "-c: -3 is out of range (1\u2013100)", "-3"),
    ("ping -c 101 x", "-c: 101 is out of range (1\u2013100)", "101"),
    ("ping -i 0.1 x", "-i: 0.1 is out of range (0.2\u201360)", "0.1"),
    ("ping -i fast x", '"fast" is not a number of seconds', "fast"),
    ("ping -W 31 x", "-W: 31 is out of range (0.1\u201330)", "31"),
    ("ping --size 70000 x", "--size: 70000 is out of range (0\u201365500)", "70000"),
    ("ping --ttl 0 x", "--ttl: 0 is out of range (1\u2013255)", "0"),
    ("ping --ttl 256 x", "--ttl: 256 is out of range (1\u2013255)", "256"),
    ("ping --cout 3 x", 'ping: unknown option "--cout" (did you mean --count?)', "--cout"),
    ("ping -z x", 'unknown option "-z"', "-z"),
    ("ping -4z x", 'unknown option "-z" in "-4z"', "-4z"),
    ("ping", "ping: missing TARGET", None),
    ("ping -c", "ping: -c: missing N", "-c"),
    ("ping x -W", "-W: missing SEC", "-W"),
    ("ping -c --df x", "-c: missing N", "-c"),
    ("ping -4 -6 x", "ping: -6: conflicts with -4", "-6"),
    ("ping -c 1 -c 2 x", "-c: given more than once", "-c"),
    ("ping --df=yes x", "--df: takes no value", "--df=yes"),
    ("ping -6 192.0.2.1", "-6: 192.0.2.1 is an IPv4 address", "-6"),
    (f"ping {ELEVEN}", "ping: too many targets: 11 (at most 10)", "h10.example"),
    ("ping bad..name", '"bad..name" is not a valid host name or IP address', "bad..name"),
    ("ping 999.1.1.1", '"999.1.1.1" is not a valid host name', "999.1.1.1"),
    ("ping exa_mple.com", '"exa_mple.com" is not a valid host name', "exa_mple.com"),
    ("ping " + "a" * 64 + ".example", "is not a valid host name", "a" * 64 + ".example"),
    ("ping x\u202e.example", "control character U+202E", "x\u202e.example"),
    ("ping a\x00b", "control character U+0000", "a\x00b"),
    ("ping x\x1b[31m", "control character U+001B", "x\x1b[31m"),
    ("ping '\t'", "control character U+0009", "\t"),
    ("ping \u2603\u2603..x", "is not a valid host name", "\u2603\u2603..x"),
    ("ping -c \uff14 x", '"\uff14" is not a whole number', "\uff14"),
    ("ping 'x", "unterminated quote ' in", "'x"),
    ('http -H "X-A: b https://x.example/', 'unterminated quote " in', '"X-A: b https://x.example/'),
    (HUGE, "ping: command too long: 5005 characters (at most 4096)", None),
    (MANY_WORDS, "ping: too many words: 71 (at most 64)", "x"),
    ("ping -p 80 x", "ping: -p: a port needs --proto udp or tcp", "80"),
    ("ping --proto udp -p 0 x", "-p: 0 is out of range (1\u201365535)", "0"),
    ("ping --proto sctp x", '--proto: "sctp" is not one of', "sctp"),
    ("ping -s DE++x x", 'ping: -s: "DE++x" has an empty selector', "DE++x"),
    ("ping -s a,,b x", '"a,,b" has an empty selector', "a,,b"),
    ("ping -s 'x y' z", '"x y" is not a valid selector', "x y"),
    ("ping from", "ping: from: missing SELECTOR", "from"),
    ("ping -s DE from fra1 x", "from: conflicts with -s", "from"),
    ("ping --limit 0 x", "--limit: 0 is out of range (1\u201350)", "0"),
    ("ping --limit 51 x", "--limit: 51 is out of range (1\u201350)", "51"),
    ("traceroute x y", 'traceroute: unexpected argument "y"', "y"),
    ("traceroute -q 11 x", "-q: 11 is out of range (1\u201310)", "11"),
    ("traceroute -m 65 x", "-m: 65 is out of range (1\u201364)", "65"),
    ("traceroute -f 40 -m 30 x", "-f: first hop 40 is beyond the last hop 30 (-m)", "40"),
    ("mtr -c 0 x", "mtr: -c: 0 is out of range", "0"),
    ("tcping x:0", '"x:0" has a bad port', "x:0"),
    ("tcping x:99999", '"x:99999" has a bad port', "x:99999"),
    ("tcping [x]:80", '"[x]:80" is not a valid [IPv6]:port', "[x]:80"),
    ("dns -t FOO x", 'dns: -t: "FOO" is not a known DNS record type', "FOO"),
    ("dns --transport quic x", '--transport: "quic" is not one of', "quic"),
    ("dns --sni dns.google x", "--sni: a TLS name needs --transport dot or doh", "dns.google"),
    ("dns --server https://x/q --transport udp x", "--transport: a URL --server needs", "udp"),
    ("dns --server http://x/q x", '"http://x/q" is not an https URL', "http://x/q"),
    ("dns --trace --server 192.0.2.1 x", "--trace: a trace starts at the root", "--trace"),
    ("dns bad..name", '"bad..name" is not a valid DNS name', "bad..name"),
    ("http ftp://x.example/", '"ftp://x.example/" is not an http or https URL', "ftp://x.example/"),
    ("http example.com", '"example.com" is not an http or https URL', "example.com"),
    ("http https://x.example:0/", "does not name a valid host", "https://x.example:0/"),
    ("http -H 'NoColon' https://x/", '"NoColon" has no colon', "NoColon"),
    ("http -H 'Bad Name: v' https://x/", '"Bad Name" is not a valid header name', "Bad Name: v"),
    ("http -X BREW https://x/", '-X: "BREW" is not one of', "BREW"),
    ("http -d hi https://x/", "-d: a body needs -X POST", "hi"),
    ("http --http 4 https://x/", '--http: "4" is not one of', "4"),
    ("http --max-body 0 https://x/", "--max-body: 0 is out of range (1\u20131048576)", "0"),
    (
        "scan 10.0.0.0/8",
        "scan: 10.0.0.0/8 is too large: 16777216 addresses (at most /20",
        "10.0.0.0/8",
    ),
    ("scan 2001:db8::/64", "at most 4096 addresses", "2001:db8::/64"),
    ("scan 224.0.0.0/24", '"224.0.0.0/24" overlaps the multicast range', "224.0.0.0/24"),
    ("scan 169.254.0.0/24", '"169.254.0.0/24" overlaps the link-local range', "169.254.0.0/24"),
    ("scan 10.0.0.300/24", '"10.0.0.300/24" is not a valid CIDR prefix', "10.0.0.300/24"),
    ("scan 10.0.0.1", '"10.0.0.1" is not a valid CIDR prefix', "10.0.0.1"),
    ("scan", "scan: missing CIDR", None),
    ("scan --rate 20000 192.0.2.0/24", "--rate: 20000 is out of range (1\u201310000)", "20000"),
    ("ipinfo bad..name", '"bad..name" is not a valid host name or IP address', "bad..name"),
    (
        "route",
        "route: give one of ADDRESS|PREFIX, --origin, --neighbor, --path or --community",
        None,
    ),
    ("route 1.1.1.1 --origin 13335", "route: --origin: conflicts with ADDRESS|PREFIX", "13335"),
    ("route --origin ASx", '--origin: "ASx" is not an AS number', "ASx"),
    ("route --origin AS0", "--origin: AS0 is out of range (1\u20134294967295)", "AS0"),
    ("route 1.1.1.1/33", '"1.1.1.1/33" is not a valid IP address or prefix', "1.1.1.1/33"),
    ("list --limit 3", 'list: unknown option "--limit"', "--limit"),
    ("version now", 'version: unexpected argument "now"', "now"),
    ("help pnig", 'help: unknown command "pnig" (did you mean ping?)', "pnig"),
    ("help ping dns", 'help: unexpected argument "dns"', "dns"),
    ("", "empty command", None),
    ("-- \nBob", "empty command", None),
]


@pytest.mark.parametrize(("line", "fragment", "word"), MALFORMED)
def test_a_malformed_command_names_the_problem_and_the_word(
    line: str, fragment: str, word: str | None
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line)
    assert fragment in caught.value.message
    if word is not None:
        assert caught.value.word == word


def test_the_table_covers_at_least_forty_malformed_commands() -> None:
    assert len(MALFORMED) >= 40


@pytest.mark.parametrize(("line", "fragment", "word"), MALFORMED)
def test_a_malformed_command_carries_a_usage_line(
    line: str, fragment: str, word: str | None
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line)
    name = line.split(maxsplit=1)[0] if line.strip() else ""
    expected = (
        usage(name)
        if name
        in {
            "ping",
            "traceroute",
            "mtr",
            "tcping",
            "dns",
            "http",
            "scan",
            "ipinfo",
            "route",
            "list",
            "version",
            "help",
        }
        else GENERAL_USAGE
    )
    assert caught.value.usage == expected


def test_an_error_has_the_bad_command_code_and_publishes_word_and_usage() -> None:
    with pytest.raises(UsageError) as caught:
        parse("ping -c abc x")
    assert caught.value.to_dict() == {
        "code": "bad_command",
        "message": 'ping: -c: "abc" is not a whole number',
        "word": "abc",
        "usage": usage("ping"),
    }


def test_a_message_beyond_the_message_cap_is_refused_before_searching_it() -> None:
    with pytest.raises(UsageError, match="message too long"):
        parse("x" * (DEFAULT_LIMITS.max_message_chars + 1))


def test_the_interval_floor_drops_for_privileged_askers() -> None:
    privileged = dataclasses.replace(DEFAULT_LIMITS, privileged=True)
    assert parse_as("ping -i 0.001 x", PingCommand, privileged).interval == 0.001


def test_a_tighter_policy_gives_tighter_messages() -> None:
    tight = dataclasses.replace(DEFAULT_LIMITS, count_max=5)
    with pytest.raises(UsageError, match="out of range \\(1\u20135\\)"):
        parse("ping -c 6 x", limits=tight)


def test_parse_args_refuses_a_plain_string() -> None:
    with pytest.raises(UsageError, match="list of words"):
        parse_args("ping x")


def test_parse_args_refuses_words_that_are_not_strings() -> None:
    with pytest.raises(UsageError):
        parse_args(["ping", 3])  # type: ignore[list-item]


def test_parse_args_refuses_an_empty_list() -> None:
    with pytest.raises(UsageError, match="empty command"):
        parse_args([])


def test_a_lone_surrogate_is_refused_as_a_control_character() -> None:
    with pytest.raises(UsageError, match="U\\+D800"):
        parse("ping \ud800")


def _outcome(line: str) -> UsageError | None:
    """The error parsing ``line`` raised, or None when it parsed; nothing else may escape."""
    try:
        parse(line)
    except UsageError as exc:
        return exc
    return None


def _is_well_formed(error: UsageError | None) -> bool:
    return error is None or bool(error.message and error.usage)


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_a_usage_error(text: str) -> None:
    assert _is_well_formed(_outcome(text))


_WORDS = st.sampled_from(
    [
        "ping",
        "trace",
        "dns",
        "http",
        "scan",
        "route",
        "tcping",
        "list",
        "help",
        "-c",
        "-4",
        "-6",
        "--",
        "from",
        "-s",
        "--limit",
        "-H",
        "-d",
        "-p",
        "--proto",
        "tcp",
        "3",
        "0",
        "x",
        "1.1.1.1",
        "::1",
        "https://x/",
        "10.0.0.0/24",
        "DE+AS1",
        "-W",
        "'",
        '"',
        "-h",
        "\x00",
        "\u2014c",
    ]
)


@given(st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=12))
def test_any_mix_of_grammar_words_parses_or_raises_a_usage_error(words: list[str]) -> None:
    assert _is_well_formed(_outcome(" ".join(words)))
    with contextlib.suppress(UsageError):
        parse_args(words)
