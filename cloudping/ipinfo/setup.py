"""The providers a process (hub, ``cloudping up``, a local CLI run) starts with, from its
options: ``--geoip-city FILE``, ``--geoip-asn FILE``, and the keyless country database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo
from cloudping.ipinfo.sources import LocalSource


@dataclass(frozen=True, slots=True)
class IpinfoSettings:
    """Where the local data is (process options, never grammar options: no remote caller
    names a file).

    Attributes:
        city: an MMDB file with places (GeoLite2-City, DB-IP City Lite, IPinfo).
        asn: an MMDB file with networks (GeoLite2-ASN, DB-IP ASN Lite, IPinfo Lite).
        keyless: also answer country from the database python-geoacumen ships (Apache-2.0),
            after the files above.
    """

    city: Path | None = None
    asn: Path | None = None
    keyless: bool = True


def keyless_country() -> Path | None:
    """The country database of python-geoacumen, when the package is installed."""
    try:
        import geoacumen  # noqa: PLC0415
    except ImportError:
        return None
    return Path(geoacumen.db_path)


def build(settings: IpinfoSettings) -> Ipinfo:
    """The router over the configured files (read now: a bad file fails at start).

    Raises:
        CloudpingError: ``bad_database`` for a file that is not a readable MMDB file.
    """
    local: list[LocalSource] = []
    if settings.asn is not None:
        local.append(MmdbFile(settings.asn, "geoip-asn"))
    if settings.city is not None:
        local.append(MmdbFile(settings.city, "geoip-city"))
    country = keyless_country() if settings.keyless else None
    if country is not None:
        local.append(MmdbFile(country, "geoacumen"))
    return Ipinfo(local)
