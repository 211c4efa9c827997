"""An agent placed by the address it connects from; a declared value wins."""

from __future__ import annotations

from cloudping.ipinfo.facts import NOTHING, Facts
from cloudping.ipinfo.placement import placed
from cloudping.wire.messages import AgentAttributes

LAB_EDGE = Facts(asn=65001, as_name="LAB-EDGE", country="DE", city="Berlin")


def lab(address: str) -> Facts:
    return LAB_EDGE if address.startswith("198.18.1.") else NOTHING


def test_an_agent_that_declares_nothing_gets_network_and_place_from_its_address() -> None:
    got = placed(AgentAttributes(tags=("lab",)), "198.18.1.2", lab)
    assert (got.asn, got.isp, got.country, got.city, got.tags) == (
        65001,
        "LAB-EDGE",
        "DE",
        "Berlin",
        ("lab",),
    )


def test_declared_values_win_and_are_never_paired_with_looked_up_ones() -> None:
    declared = AgentAttributes(asn=64512, country="FR")
    assert placed(declared, "198.18.1.2", lab) == declared
    half = placed(AgentAttributes(asn=64512), "198.18.1.2", lab)
    assert (half.asn, half.isp, half.country, half.city) == (64512, None, "DE", "Berlin")


def test_an_unknown_or_missing_peer_leaves_the_attributes_as_declared() -> None:
    plain = AgentAttributes()
    assert placed(plain, "203.0.113.7", lab) is plain
    assert placed(plain, None, lab) is plain


def test_a_network_name_too_long_for_an_attribute_leaves_them_as_declared() -> None:
    long_name = Facts(asn=65001, as_name="X" * 10_000)
    plain = AgentAttributes()
    assert placed(plain, "198.18.1.2", lambda _: long_name) is plain
