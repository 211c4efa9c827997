"""MMDB records of the layouts in use, read into :class:`Facts` by their keys.

- MaxMind GeoIP2/GeoLite2 City and Country, DB-IP Lite City/Country and Geoacumen:
  ``country.iso_code``, ``subdivisions[0].names.en``, ``city.names.en``, ``location``;
- MaxMind GeoLite2-ASN and DB-IP Lite ASN: ``autonomous_system_number`` and
  ``autonomous_system_organization``;
- IPinfo Lite and IPinfo country/ASN files: flat ``asn`` (``"AS13335"``), ``as_name``,
  ``country_code`` (IPinfo Lite) or ``country`` (a code in the country-ASN file), ``region``,
  ``city``, ``latitude``/``longitude`` as text;
- ip-location-db: flat ``country_code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudping.ipinfo.facts import Facts, asn_number, country_code, number, text


def facts_of(record: Mapping[str, Any], network: str | None = None) -> Facts:
    """The facts an MMDB record holds, whichever of the known layouts it has."""
    location = _mapping(record.get("location"))
    country = record.get("country")
    return Facts(
        asn=asn_number(record.get("autonomous_system_number", record.get("asn"))),
        as_name=text(record.get("autonomous_system_organization", record.get("as_name"))),
        country=country_code(_mapping(country).get("iso_code"))
        or country_code(record.get("country_code"))
        or country_code(country),
        region=_name(_first(record.get("subdivisions"))) or text(record.get("region")),
        city=_name(record.get("city")) or text(record.get("city")),
        latitude=number(location.get("latitude", record.get("latitude"))),
        longitude=number(location.get("longitude", record.get("longitude"))),
        network=network,
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else None


def _name(value: object) -> str | None:
    """The English name of a MaxMind-layout place (``{"names": {"en": ...}}``)."""
    return text(_mapping(_mapping(value).get("names")).get("en"))
