"""IP2Location.io (https://www.ip2location.io/ip2location-documentation): ``GET /?key=K&ip=IP``
(the key only travels in the query: the client's log filter blanks it). ``asn`` is text,
``as`` the AS name; errors are ``{"error": {"error_code", "error_message"}}`` (401 a bad key,
429 over the quota)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudping.ipinfo.facts import Facts, asn_number, country_code, number, text
from cloudping.ipinfo.http.vendor import Ask
from cloudping.special import Address


class Ip2Location:
    """The IP2Location.io API."""

    name = "ip2location"
    base_url = "https://api.ip2location.io"
    key_env = "CLOUDPING_IP2LOCATION_KEY"

    def ask(self, ip: Address, key: str) -> Ask:
        """``GET /?key=KEY&ip=IP&format=json``."""
        return Ask("/", {"key": key, "ip": str(ip), "format": "json"}, {})

    def facts(self, body: Mapping[str, Any]) -> Facts:
        """Network, country, region, city and coordinates (``-`` means unknown there)."""
        if "error" in body or "ip" not in body:
            raise ValueError(self.error_message(body) or "not an IP2Location.io answer")
        known = {key: value for key, value in body.items() if value != "-"}
        return Facts(
            asn=asn_number(known.get("asn")),
            as_name=text(known.get("as")),
            country=country_code(known.get("country_code")),
            region=text(known.get("region_name")),
            city=text(known.get("city_name")),
            latitude=number(known.get("latitude")),
            longitude=number(known.get("longitude")),
        )

    def error_message(self, body: Mapping[str, Any]) -> str | None:
        """``error_code: error_message``."""
        error = body.get("error")
        if isinstance(error, Mapping):
            return f"{error.get('error_code')}: {error.get('error_message')}"
        return None
