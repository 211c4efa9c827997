"""ipregistry (https://ipregistry.co/docs): ``GET /{ip}`` with ``Authorization: ApiKey KEY``;
``connection.asn`` a number, ``connection.organization``, ``location.country.code``; errors
are ``{"code", "message", "resolution"}`` (``INVALID_API_KEY`` 403, ``INSUFFICIENT_CREDITS``
402, ``TOO_MANY_REQUESTS`` 429)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudping.ipinfo.facts import Facts, asn_number, country_code, number, text
from cloudping.ipinfo.http.vendor import Ask
from cloudping.special import Address


class Ipregistry:
    """The ipregistry API."""

    name = "ipregistry"
    base_url = "https://api.ipregistry.co"
    key_env = "CLOUDPING_IPREGISTRY_KEY"

    def ask(self, ip: Address, key: str) -> Ask:
        """``GET /{ip}``, ``Authorization: ApiKey KEY``."""
        return Ask(f"/{ip}", {}, {"Authorization": f"ApiKey {key}"})

    def facts(self, body: Mapping[str, Any]) -> Facts:
        """Network, country, region, city and coordinates."""
        if "ip" not in body:
            raise ValueError("an ipregistry answer has an ip")
        connection = _mapping(body.get("connection"))
        location = _mapping(body.get("location"))
        return Facts(
            asn=asn_number(connection.get("asn")),
            as_name=text(connection.get("organization")),
            country=country_code(_mapping(location.get("country")).get("code")),
            region=text(_mapping(location.get("region")).get("name")),
            city=text(location.get("city")),
            latitude=number(location.get("latitude")),
            longitude=number(location.get("longitude")),
        )

    def error_message(self, body: Mapping[str, Any]) -> str | None:
        """``CODE: message``."""
        if "code" in body:
            return f"{body.get('code')}: {body.get('message')}"
        return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
