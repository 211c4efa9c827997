"""MMDB files for the lab's ranges, written with mmdb-writer in the layouts providers ship.

Networks: the agent side (198.18.1.0/24, 2001:db8:1::/48) is AS65001 LAB-EDGE in Berlin, the
routers' link (198.18.2.0/24, 2001:db8:2::/48) AS65002 LAB-CORE in Amsterdam, the target side
(198.18.3.0/24, 2001:db8:3::/48) AS65003 LAB-TARGET in Paris. ``generation`` changes every
name, so a reloaded file is told apart from the one it replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

LAB: dict[int, tuple[int, str, str, str, str]] = {
    1: (65001, "LAB-EDGE", "DE", "Berlin", "Land Berlin"),
    2: (65002, "LAB-CORE", "NL", "Amsterdam", "North Holland"),
    3: (65003, "LAB-TARGET", "FR", "Paris", "Ile-de-France"),
}


def networks(n: int) -> IPSet:
    """The lab subnet ``n``, both families."""
    return IPSet([f"198.18.{n}.0/24", f"2001:db8:{n}::/48"])


def _write(path: Path, kind: str, records: dict[int, dict[str, Any]]) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type=kind)
    for n, record in records.items():
        writer.insert_network(networks(n), record)
    tmp = path.with_suffix(".tmp")
    writer.to_db_file(str(tmp))
    tmp.replace(path)  # as a careful updater does: readers see the old file or the new one
    return path


def write_asn(path: Path, generation: int = 0) -> Path:
    """A GeoLite2-ASN-shaped file (DB-IP ASN Lite has the same keys)."""
    suffix = f"-{generation}" if generation else ""
    records = {
        n: {"autonomous_system_number": asn, "autonomous_system_organization": name + suffix}
        for n, (asn, name, *_) in LAB.items()
    }
    return _write(path, "GeoLite2-ASN", records)


def write_city(path: Path) -> Path:
    """A GeoLite2-City-shaped file (DB-IP City Lite has the same keys)."""
    records = {
        n: {
            "country": {"iso_code": country, "names": {"en": country}},
            "city": {"names": {"en": city}},
            "subdivisions": [{"iso_code": "XX", "names": {"en": region}}],
            "location": {"latitude": 48.0 + n, "longitude": 2.0 + n},
        }
        for n, (_, _, country, city, region) in LAB.items()
    }
    return _write(path, "GeoLite2-City", records)


def write_ipinfo_lite(path: Path) -> Path:
    """An IPinfo Lite-shaped file: flat keys, the ASN as text."""
    records = {
        n: {"asn": f"AS{asn}", "as_name": name, "as_domain": "lab.", "country_code": country}
        for n, (asn, name, country, *_) in LAB.items()
    }
    return _write(path, "ipinfo lite.mmdb", records)
