"""Selection: which agents a FROM names, which of them can run the command, how many."""

from __future__ import annotations

import pytest

from cloudping.commands import parse
from cloudping.commands.selection import parse_selectors
from cloudping.errors import CloudpingError
from cloudping.hub import choose_agents, needed_capabilities, selection_matches
from cloudping.hub.selection import count_agents
from cloudping.testing import seeded

from .helpers import Agent, agent

FLEET = (
    agent(
        "fra1", country="DE", city="Frankfurt", asn=3320, isp="Deutsche Telekom",
        tags=("datacenter",), capabilities=("icmp", "udp", "tcp", "http"),
    ),
    agent(
        "ber1", country="DE", city="Berlin", asn=13335, isp="Cloudflare",
        capabilities=("icmp", "tcp", "dns"),
    ),
    agent("ams1", country="NL", city="Amsterdam", asn=13335, isp="Cloudflare"),
    agent(
        "nyc1", country="US", city="New York", asn=64500, dn42_asn=4242420001,
        dn42_isp="Lab Net", capabilities=("icmp",),
    ),
)  # fmt: skip


def names(agents: tuple[Agent, ...] | list[Agent]) -> set[str]:
    return {candidate.name for candidate in agents}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("fra1", {"fra1"}),
        ("FRA1", {"fra1"}),
        ("de", {"fra1", "ber1"}),
        ("Berlin", {"ber1"}),
        ("new-york", {"nyc1"}),
        ("AS13335", {"ber1", "ams1"}),
        ("as4242420001", {"nyc1"}),
        ("AS013335", {"ber1", "ams1"}),
        ("AS4242420001+dn42", {"nyc1"}),
        ("Lab-Net+AS64500", {"nyc1"}),
        ("Deutsche-Telekom", {"fra1"}),
        ("cloudflare", {"ber1", "ams1"}),
        ("lab_net", {"nyc1"}),
        ("datacenter", {"fra1"}),
        ("dn42", {"nyc1"}),
        ("DE+AS13335", {"ber1"}),
        ("DE+NL", set()),
        ("fra1,NL", {"fra1", "ams1"}),
        ("Berlin,AS13335+NL", {"ber1", "ams1"}),
        ("XX", set()),
    ],
)
def test_each_selector_kind_matches_the_agents_it_names(selector: str, expected: set[str]) -> None:
    selectors = parse_selectors(selector)
    assert names([a for a in FLEET if selection_matches(selectors, a)]) == expected


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        ("ping example.com", ("icmp",)),
        ("ping --proto tcp -p 80 example.com", ("tcp",)),
        ("traceroute --proto udp example.com", ("udp",)),
        ("mtr example.com", ("icmp",)),
        ("tcping example.com", ("tcp",)),
        ("dns example.com", ("dns",)),
        ("http https://example.com", ("http",)),
        ("http --http 3 https://example.com", ("http", "http3")),
        ("scan 192.0.2.0/24", ("scan", "icmp")),
    ],
)
def test_each_command_needs_the_capabilities_it_uses(command: str, needs: tuple[str, ...]) -> None:
    assert needed_capabilities(parse(command)) == needs


def test_a_dns_command_goes_only_to_agents_with_dns() -> None:
    chosen = choose_agents(FLEET, parse("dns -s DE example.com"), seeded(1))
    assert names(chosen) == {"ber1"}


def test_http3_goes_only_to_agents_with_http3() -> None:
    command = parse("http --http 3 -s AS13335,fra1 https://example.com")
    assert names(choose_agents(FLEET, command, seeded(1))) == {"ams1"}


def test_matching_agents_that_cannot_run_the_command_are_named_in_the_error() -> None:
    with pytest.raises(CloudpingError) as caught:
        choose_agents(FLEET, parse("dns -s nyc1 example.com"), seeded(1))
    assert caught.value.code == "no_agent_matched"
    assert "no agent matching nyc1 can run dns (it needs dns)" in caught.value.message


def test_no_agent_matched_names_the_selector_and_the_selectors_that_exist() -> None:
    with pytest.raises(CloudpingError) as caught:
        choose_agents(FLEET, parse("ping -s XX+DE example.com"), seeded(1))
    error = caught.value
    assert error.code == "no_agent_matched"
    assert error.message.startswith("no agent matches XX+DE; selectors that exist: ")
    for term in ("fra1", "DE", "Berlin", "AS13335", "New-York", "dn42", "datacenter"):
        assert term in error.fields["available"]
    assert error.to_dict()["selector"] == "XX+DE"


def test_no_agent_matched_says_when_no_agent_is_connected() -> None:
    with pytest.raises(CloudpingError, match="none: no agent is connected"):
        choose_agents((), parse("ping example.com"), seeded(1))


def test_without_from_the_hub_chooses_one_capable_agent() -> None:
    chosen = choose_agents(FLEET, parse("dns example.com"), seeded(7))
    assert len(chosen) == 1
    assert names(chosen) <= {"ber1", "ams1"}  # the two with dns


def test_without_from_the_preferred_agent_is_chosen_when_it_can_run_the_command() -> None:
    command = parse("ping example.com")
    assert names(choose_agents(FLEET, command, seeded(7), preferred="nyc1")) == {"nyc1"}


def test_without_from_a_preferred_agent_that_cannot_run_it_is_passed_over() -> None:
    chosen = choose_agents(FLEET, parse("dns example.com"), seeded(7), preferred="nyc1")
    assert len(chosen) == 1
    assert names(chosen) <= {"ber1", "ams1"}


SPREAD = (
    agent("a1", asn=1, city="Berlin"),
    agent("a2", asn=1, city="Berlin"),
    agent("a3", asn=1, city="Paris"),
    agent("b1", asn=2, city="Berlin"),
    agent("b2", asn=2, city="Berlin"),
    agent("c1", asn=3, city="Oslo"),
)


@pytest.mark.parametrize("seed", range(20))
def test_a_limit_spreads_the_agents_across_asns_first(seed: int) -> None:
    chosen = choose_agents(SPREAD, parse("ping --limit 3 example.com"), seeded(seed))
    assert sorted(a.attributes.asn or 0 for a in chosen) == [1, 2, 3]


@pytest.mark.parametrize("seed", range(20))
def test_a_limit_spreads_across_cities_within_an_asn(seed: int) -> None:
    command = parse("ping -s AS1 --limit 2 example.com")
    chosen = choose_agents(SPREAD, command, seeded(seed))
    assert {a.attributes.city for a in chosen} == {"Berlin", "Paris"}


def test_the_same_seed_chooses_the_same_agents() -> None:
    command = parse("ping --limit 2 example.com")
    first = choose_agents(SPREAD, command, seeded(42))
    assert choose_agents(SPREAD, command, seeded(42)) == first


def test_a_limit_above_the_matches_takes_every_match() -> None:
    chosen = choose_agents(FLEET, parse("ping -s DE --limit 5 example.com"), seeded(1))
    assert names(chosen) == {"fra1", "ber1"}


@pytest.mark.parametrize(
    "command",
    [
        "ping example.com",
        "dns example.com",
        "ping -s DE example.com",
        "ping -s DE --limit 1 example.com",
        "ping --limit 4 example.com",
        "ping --limit 50 example.com",
        "http --http 3 -s AS13335,fra1 https://example.com",
    ],
)
def test_the_count_is_how_many_agents_would_be_chosen(command: str) -> None:
    chosen = choose_agents(FLEET + SPREAD, parse(command), seeded(3), preferred="fra1")
    assert count_agents(FLEET + SPREAD, parse(command)) == len(chosen)


def test_the_count_refuses_what_the_choice_refuses() -> None:
    with pytest.raises(CloudpingError) as caught:
        count_agents(FLEET, parse("dns -s nyc1 example.com"))
    assert caught.value.code == "no_agent_matched"


def test_a_word_that_reads_like_an_asn_is_not_taken_for_one() -> None:
    """An ASN is matched as a number, never as the text of a name or tag."""
    fleet = (agent("x1", tags=("as64500",)), agent("x2", asn=64500))
    assert names([a for a in fleet if selection_matches(parse_selectors("as64500"), a)]) == {
        "x1",
        "x2",
    }
    assert names([a for a in fleet if selection_matches(parse_selectors("AS064500"), a)]) == {"x2"}
