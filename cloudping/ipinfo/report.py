"""The answer for one address: the merged view, its special range, and each provider's part.

JSON (issue 17): ``{address, asn, as_name, country, region, city, latitude, longitude,
special, providers: [{provider, ...the same fields..., prefix, error}]}``, plus ``name`` when the
address was asked for by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudping.ipinfo.bgp import NAME as BGP
from cloudping.ipinfo.facts import NOTHING, Facts
from cloudping.ipinfo.sources import Failure
from cloudping.render.networks import network_label


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """What one provider said: its facts, or the failure (``error`` its code)."""

    provider: str
    facts: Facts = NOTHING
    error: Failure | None = None

    def to_json(self) -> dict[str, Any]:
        """``{provider, ...fields, prefix, error}``; ``prefix`` the network the provider
        matched (the BGP table's route, a database's block) or ``null``; ``error`` a code or
        ``null``."""
        error = self.error.code if self.error is not None else None
        facts = self.facts
        return {
            "provider": self.provider,
            **facts.to_json(),
            "prefix": facts.network,
            "error": error,
        }


@dataclass(frozen=True, slots=True)
class IpReport:
    """Everything known of one address, merged, and who said what."""

    address: str
    facts: Facts
    special: str | None
    providers: tuple[ProviderAnswer, ...]
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The address's JSON object (see the module's docstring)."""
        head: dict[str, Any] = {"address": self.address}
        if self.name is not None:
            head["name"] = self.name
        return {
            **head,
            **self.facts.to_json(),
            "special": self.special,
            "providers": [answer.to_json() for answer in self.providers],
        }

    def line(self) -> str:
        """One line for people: ``198.18.2.1  AS65001 LAB-NET  ZZ Labville  (Benchmarking)``."""
        parts = [f"{self.address} ({self.name})" if self.name else self.address]
        network = network_label(self.facts.asn, self.facts.as_name)
        if network:
            parts.append(network)
        route = next((a.facts.network for a in self.providers if a.provider == BGP), None)
        if route:
            parts.append(f"route {route}")
        place = ", ".join(p for p in (self.facts.city, self.facts.region, self.facts.country) if p)
        if place:
            parts.append(place)
        if self.special:
            parts.append(f"special: {self.special}")
        failed = [f"{a.provider}: {a.error.code}" for a in self.providers if a.error]
        if failed:
            parts.append(f"({'; '.join(failed)})")
        if len(parts) == 1:
            parts.append("nothing known")
        return "  ".join(parts)
