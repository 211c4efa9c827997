"""How a network is written beside an address: ``AS65001 LAB-NET`` (mtr -z shows ``AS65001``;
the name says whose network it is without a look-up)."""

from __future__ import annotations


def network_label(asn: int | None, as_name: str | None) -> str | None:
    """``AS65001 LAB-NET``, ``AS65001`` without a name, ``None`` without an ASN."""
    if asn is None:
        return None
    return f"AS{asn} {as_name}" if as_name else f"AS{asn}"


def place_label(city: str | None, country: str | None) -> str | None:
    """``Berlin, DE``, either part alone, or ``None``."""
    return ", ".join(part for part in (city, country) if part) or None
