"""What a provider knows of one address: network (ASN, AS name) and place, each may be unknown.

The field names are design.md's enrichment keys (``asn``, ``as_name``, ``country`` as an ISO
code, ``city``) plus region and coordinates; the merged view fills each field from the first
source that has it, in the router's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FIELDS = ("asn", "as_name", "country", "region", "city", "latitude", "longitude")
# The fields every annotated address carries (design.md, "Names"): small enough per hop.
HOP_FIELDS = ("asn", "as_name", "country", "city")


@dataclass(frozen=True, slots=True)
class Facts:
    """Network and place of an address; ``None`` where the source does not know.

    Attributes:
        network: the prefix the source matched (``198.18.0.0/24``), when it says.
    """

    asn: int | None = None
    as_name: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    network: str | None = None

    @property
    def empty(self) -> bool:
        """Whether the source knew nothing of the address."""
        return all(getattr(self, name) is None for name in FIELDS)

    def to_json(self) -> dict[str, Any]:
        """The fields of :data:`FIELDS`, ``null`` where unknown."""
        return {name: getattr(self, name) for name in FIELDS}


NOTHING = Facts()


def merged(answers: list[Facts]) -> Facts:
    """One view of several sources' facts: each field from the first source that has it
    (built once, not field by field: the hub merges for every new hop).

    The AS name comes from the first source that names the AS the view shows (or names one
    without a number): when the BGP table's origin AS and a database's ASN disagree, the
    database's name belongs to another AS and is left out (each provider's own answer still
    shows it)."""
    values = {
        name: next((v for facts in answers if (v := getattr(facts, name)) is not None), None)
        for name in FIELDS
    }
    asn = values["asn"]
    values["as_name"] = next(
        (f.as_name for f in answers if f.as_name is not None and f.asn in (asn, None)), None
    )
    return Facts(**values)


def asn_number(value: object) -> int | None:
    """An ASN as a number from the forms providers write it in (``13335``, ``"AS13335"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 2**32 else None
    if isinstance(value, str):
        digits = value.strip().upper().removeprefix("AS")
        return asn_number(int(digits)) if digits.isdigit() else None
    return None


def country_code(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 code in capitals, or ``None`` for anything else."""
    if isinstance(value, str) and len(value) == 2 and value.isalpha():
        return value.upper()
    return None


def text(value: object) -> str | None:
    """A non-empty string, or ``None``."""
    return value if isinstance(value, str) and value else None


def number(value: object) -> float | None:
    """A coordinate given as a number or as text (IPinfo writes ``"37.4056"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
