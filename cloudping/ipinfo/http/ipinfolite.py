"""IPinfo Lite (https://ipinfo.io/developers/lite-api): ``GET /lite/{ip}`` with the token as a
bearer header; ASN as ``"AS15169"``, country as its code. A bogon answers ``{"bogon": true}``;
errors are ``{"status": 403, "error": {"title", "message"}}`` (403 wrong token, 429 quota)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudping.ipinfo.facts import NOTHING, Facts, asn_number, country_code, text
from cloudping.ipinfo.http.vendor import Ask
from cloudping.special import Address


class IpinfoLite:
    """The IPinfo Lite API."""

    name = "ipinfo"
    base_url = "https://api.ipinfo.io"
    key_env = "CLOUDPING_IPINFO_TOKEN"

    def ask(self, ip: Address, key: str) -> Ask:
        """``GET /lite/{ip}``, ``Authorization: Bearer TOKEN``."""
        return Ask(f"/lite/{ip}", {}, {"Authorization": f"Bearer {key}"})

    def facts(self, body: Mapping[str, Any]) -> Facts:
        """ASN, AS name and country code."""
        if body.get("bogon"):
            return NOTHING
        if "ip" not in body:
            raise ValueError("an IPinfo Lite answer has an ip")
        return Facts(
            asn=asn_number(body.get("asn")),
            as_name=text(body.get("as_name")),
            country=country_code(body.get("country_code")),
        )

    def error_message(self, body: Mapping[str, Any]) -> str | None:
        """``error.title: error.message``."""
        error = body.get("error")
        if isinstance(error, Mapping):
            return ": ".join(str(error[k]) for k in ("title", "message") if error.get(k))
        return text(error)
