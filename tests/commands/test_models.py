"""The command models validate themselves; policy is not theirs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cloudping.commands import (
    DnsCommand,
    HelpCommand,
    HttpCommand,
    PingCommand,
    RouteCommand,
    ScanCommand,
    Selection,
    TcpingCommand,
    TracerouteCommand,
    split_host_port,
)
from cloudping.commands.dnstypes import record_type_number


def test_a_ping_command_has_the_engine_defaults() -> None:
    command = PingCommand(targets=("x",))
    assert (command.family, command.count, command.interval, command.timeout) == (None, 4, 1.0, 2.0)
    assert (command.size, command.ttl, command.df, command.proto) == (56, None, False, "icmp")
    assert (command.port, command.from_) == (None, None)


@pytest.mark.parametrize(
    "fields",
    [
        {"targets": ()},
        {"targets": ("x",), "count": 0},
        {"targets": ("x",), "ttl": 256},
        {"targets": ("x",), "port": 0, "proto": "udp"},
        {"targets": ("x",), "interval": 0},
        {"targets": ("x",), "size": -1},
        {"targets": ("bad..name",)},
        {"targets": ("x",), "proto": "sctp"},
        {"targets": ("x",), "colour": "red"},
    ],
)
def test_an_intrinsically_invalid_ping_cannot_exist(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PingCommand.model_validate(fields)


def test_models_are_frozen() -> None:
    command = PingCommand(targets=("x",))
    with pytest.raises(ValidationError):
        command.count = 5  # type: ignore[misc]


def test_policy_limits_are_not_model_rules() -> None:
    assert PingCommand(targets=("x",), count=1000, interval=0.001).count == 1000


def test_from_is_the_json_key_of_from_() -> None:
    command = PingCommand.model_validate({"targets": ["x"], "from": "DE"})
    assert command.from_ == Selection(selectors=(("DE",),))


def test_a_selection_needs_selectors_or_a_limit() -> None:
    with pytest.raises(ValidationError):
        Selection()


@pytest.mark.parametrize("text", ["DE++x", "a,,b", ",", "+", "x!", "-x"])
def test_a_selection_refuses_empty_or_odd_terms(text: str) -> None:
    with pytest.raises(ValidationError):
        Selection.model_validate(text)


def test_a_selection_reads_back_as_its_text() -> None:
    assert str(Selection.model_validate("fra1,DE+AS3320")) == "fra1,DE+AS3320"


def test_a_port_needs_a_protocol_with_ports() -> None:
    with pytest.raises(ValidationError, match="port"):
        PingCommand(targets=("x",), port=80)


def test_the_family_must_fit_literal_targets() -> None:
    with pytest.raises(ValidationError, match="IPv4"):
        PingCommand(targets=("192.0.2.1",), family=6)


def test_the_first_hop_cannot_be_beyond_the_last() -> None:
    with pytest.raises(ValidationError, match="first hop"):
        TracerouteCommand(target="x", first_hop=31, max_hops=30)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("h.example", ("h.example", 443)),
        ("h.example:22", ("h.example", 22)),
        ("[2001:db8::1]:80", ("2001:db8::1", 80)),
        ("[2001:db8::1]", ("2001:db8::1", 443)),
        ("2001:db8::1", ("2001:db8::1", 443)),
        ("192.0.2.1:53", ("192.0.2.1", 53)),
    ],
)
def test_split_host_port_understands_every_spelling(word: str, expected: tuple[str, int]) -> None:
    assert split_host_port(word) == expected


@pytest.mark.parametrize("word", ["h:0", "h:65536", "h:", "[h]:1", "[::1]x", "a:b:c"])
def test_split_host_port_refuses_bad_ports_and_brackets(word: str) -> None:
    with pytest.raises(ValueError, match=word.replace("[", r"\[").replace("]", r"\]")):
        split_host_port(word)


def test_tcping_endpoints_default_to_port_443() -> None:
    assert TcpingCommand(targets=("x",)).endpoints == (("x", 443),)


def test_dns_types_are_canonical_names_with_numbers() -> None:
    command = DnsCommand.model_validate({"names": ["x"], "type": 65})
    assert command.type == "HTTPS"
    assert record_type_number(command.type) == 65


@pytest.mark.parametrize("value", ["FOO", "OPT", "TYPE0", "TYPE70000", 0, True])
def test_unknown_or_meta_dns_types_are_refused(value: object) -> None:
    with pytest.raises(ValidationError):
        DnsCommand.model_validate({"names": ["x"], "type": value})


def test_a_dns_tls_name_needs_a_tls_transport() -> None:
    with pytest.raises(ValidationError, match="sni"):
        DnsCommand(names=("x",), sni="dns.google")


def test_http_headers_accept_name_value_text() -> None:
    command = HttpCommand.model_validate({"urls": ["https://x/"], "headers": ["A:  b c "]})
    assert command.headers == (("A", "b c"),)


def test_an_http_body_needs_a_method_that_sends_one() -> None:
    with pytest.raises(ValidationError, match="body"):
        HttpCommand(urls=("https://x/",), data="hi")


@pytest.mark.parametrize(
    "url", ["ftp://x/", "x.example", "https://", "https://a b/", "https://u@x/"]
)
def test_http_urls_must_be_absolute_http_or_https(url: str) -> None:
    with pytest.raises(ValidationError):
        HttpCommand(urls=(url,))


def test_scan_prefixes_are_made_canonical() -> None:
    assert ScanCommand(cidr="2001:db8::77/120").cidr == "2001:db8::/120"


@pytest.mark.parametrize("cidr", ["224.0.0.0/24", "169.254.1.0/24", "fe80::/120", "ff02::/120"])
def test_scan_refuses_multicast_and_link_local(cidr: str) -> None:
    with pytest.raises(ValidationError, match="overlaps"):
        ScanCommand(cidr=cidr)


def test_a_loopback_scan_parses_and_is_left_to_the_agents_served_ranges() -> None:
    assert ScanCommand(cidr="127.0.0.0/30").network.num_addresses == 4


def test_scan_network_is_the_prefix_as_an_ip_network() -> None:
    assert ScanCommand(cidr="192.0.2.0/28").network.num_addresses == 16


def test_route_needs_exactly_one_query() -> None:
    with pytest.raises(ValidationError):
        RouteCommand()
    with pytest.raises(ValidationError):
        RouteCommand(origin=1, neighbor=2)


def test_route_address_is_set_only_for_a_single_address() -> None:
    assert RouteCommand(prefix="192.0.2.1").address == "192.0.2.1"
    assert RouteCommand(prefix="192.0.2.0/24").address is None


def test_help_refuses_an_unknown_topic_with_a_suggestion() -> None:
    with pytest.raises(ValidationError, match="did you mean ping"):
        HelpCommand(topic="pnig")
