"""The providers a process (hub, ``cloudping up``, a local CLI run) starts with, from its
options: ``--geoip-city FILE``, ``--geoip-asn FILE``, the keyless country database, and on a
hub the HTTP providers whose key the environment holds (``CLOUDPING_IPINFO_TOKEN``,
``CLOUDPING_IP2LOCATION_KEY``, ``CLOUDPING_IPREGISTRY_KEY``, each also as ``..._FILE`` naming
a file that holds it; ``CLOUDPING_<NAME>_URL`` moves a provider's base URL)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cloudping.errors import CloudpingError
from cloudping.ipinfo.bgp import BgpTable
from cloudping.ipinfo.dn42 import Dn42Registry
from cloudping.ipinfo.http.ip2location import Ip2Location
from cloudping.ipinfo.http.ipinfolite import IpinfoLite
from cloudping.ipinfo.http.ipregistry import Ipregistry
from cloudping.ipinfo.http.vendor import Vendor
from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo
from cloudping.ipinfo.sources import LocalSource, RemoteSource
from cloudping.routes.lookup import RouteStore

if TYPE_CHECKING:
    import httpx

# The order their answers count in, after the local data.
VENDORS: tuple[Vendor, ...] = (IpinfoLite(), Ip2Location(), Ipregistry())


@dataclass(frozen=True, slots=True)
class RemoteSettings:
    """One HTTP provider: which, its key (never shown), and where it answers."""

    vendor: str
    key: str = field(repr=False)
    base_url: str | None = None


@dataclass(frozen=True, slots=True)
class IpinfoSettings:
    """Where the local data is (process options, never grammar options: no remote caller
    names a file).

    Attributes:
        city: an MMDB file with places (GeoLite2-City, DB-IP City Lite, IPinfo).
        asn: an MMDB file with networks (GeoLite2-ASN, DB-IP ASN Lite, IPinfo Lite).
        keyless: also answer country from the database python-geoacumen ships (Apache-2.0),
            after the files above.
        dn42: the ``data`` directory of a DN42 registry checkout (its answers count first:
            a registry's origin AS is the routing truth there).
        remote: the HTTP providers (hub only), in the order their answers count.
    """

    city: Path | None = None
    asn: Path | None = None
    keyless: bool = True
    dn42: Path | None = None
    remote: tuple[RemoteSettings, ...] = ()


def remote_from_env(env: Mapping[str, str]) -> tuple[RemoteSettings, ...]:
    """The HTTP providers whose key ``env`` holds or names a file of.

    Raises:
        CloudpingError: ``bad_key_file`` when a named key file cannot be read.
    """
    found = []
    for vendor in VENDORS:
        key = env.get(vendor.key_env) or _key_file(env.get(f"{vendor.key_env}_FILE"))
        if key:
            url_env = f"CLOUDPING_{vendor.name.upper()}_URL"
            found.append(RemoteSettings(vendor.name, key, env.get(url_env) or None))
    return tuple(found)


def _key_file(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text().strip() or None
    except OSError as exc:
        message = f"cannot read the key file {path}: {exc.strerror}"
        raise CloudpingError(message, code="bad_key_file", path=path) from exc


def keyless_country() -> Path | None:
    """The country database of python-geoacumen, when the package is installed."""
    try:
        import geoacumen  # noqa: PLC0415
    except ImportError:
        return None
    return Path(geoacumen.db_path)


def build(
    settings: IpinfoSettings,
    client: httpx.AsyncClient | None = None,
    routes: RouteStore | None = None,
) -> Ipinfo:
    """The router over the configured files (read now: a bad file fails at start), with
    ``client`` the HTTP providers configured, and with ``routes`` (a hub's route store) the
    ``bgp`` table first, so that its origin AS wins (it starts empty: :meth:`BgpTable.reload`
    fills it).

    Raises:
        CloudpingError: ``bad_database`` for a file that is not a readable MMDB file,
            ``bad_registry`` for a directory that is not a DN42 registry's ``data``.
    """
    local: list[LocalSource] = []
    if routes is not None:
        local.append(BgpTable(routes))
    if settings.dn42 is not None:
        local.append(Dn42Registry(settings.dn42))
    if settings.asn is not None:
        local.append(MmdbFile(settings.asn, "geoip-asn"))
    if settings.city is not None:
        local.append(MmdbFile(settings.city, "geoip-city"))
    country = keyless_country() if settings.keyless else None
    if country is not None:
        local.append(MmdbFile(country, "geoacumen"))
    return Ipinfo(local, _remote(settings.remote, client) if client is not None else ())


def _remote(
    configured: tuple[RemoteSettings, ...], client: httpx.AsyncClient
) -> list[RemoteSource]:
    from cloudping.ipinfo.http.client import HttpProvider  # noqa: PLC0415 (httpx)

    vendors = {vendor.name: vendor for vendor in VENDORS}
    return [HttpProvider(vendors[r.vendor], r.key, client, r.base_url) for r in configured]
