"""The DN42 registry as a local source, read from a checkout of its ``data`` directory.

Objects are RPSL-like text files, one per object, ``key:  value`` lines (a line starting with
whitespace continues the value before it). ``route``/``route6`` give the origin AS of the
most specific prefix holding an address, ``aut-num`` its ``as-name``, ``inetnum``/
``inet6num`` the country. The registry is read once at start (a few thousand small files);
a look-up is one dictionary probe per prefix length present.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from cloudping.errors import CloudpingError
from cloudping.ipinfo.facts import Facts, asn_number, country_code, text
from cloudping.special import Address, Network

Record = dict[str, str]
V = TypeVar("V")


def parse_object(source: str) -> Record:
    """The first value of each key of one registry object (continuation lines joined)."""
    record: Record = {}
    key = None
    for line in source.splitlines():
        if line[:1].isspace() and key is not None:
            record[key] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            continue
        key = name.strip()
        record.setdefault(key, value.strip())
    return record


class PrefixTable(Generic[V]):
    """Values by prefix; the longest prefix holding an address wins."""

    def __init__(self) -> None:
        self._by_length: dict[tuple[int, int], dict[int, V]] = {}

    def add(self, network: Network, value: V) -> None:
        """Keep ``value`` for ``network`` (a later one for the same prefix replaces it)."""
        per = self._by_length.setdefault((network.version, network.prefixlen), {})
        per[int(network.network_address)] = value

    def longest(self, ip: Address) -> V | None:
        """The value of the most specific prefix holding ``ip``."""
        bits = ip.max_prefixlen
        lengths = sorted((n for v, n in self._by_length if v == ip.version), reverse=True)
        for length in lengths:
            masked = int(ip) >> (bits - length) << (bits - length)
            value = self._by_length[(ip.version, length)].get(masked)
            if value is not None:
                return value
        return None


@dataclass(frozen=True, slots=True)
class _Route:
    network: str
    origin: int | None


class Dn42Registry:
    """The registry's routes, AS names and countries.

    Raises:
        CloudpingError: ``bad_registry`` when ``data`` has no ``route`` directory.
    """

    name = "dn42"
    generation = 0  # read once: a new checkout takes a restart

    def __init__(self, data: Path) -> None:
        if not (data / "route").is_dir():
            message = f"{data} is not the data directory of a DN42 registry (no route/)"
            raise CloudpingError(message, code="bad_registry", path=str(data))
        self._routes: PrefixTable[_Route] = PrefixTable()
        self._countries: PrefixTable[str] = PrefixTable()
        self._as_names: dict[int, str] = {}
        for record in _objects(data, "route", "route6"):
            network = _network(record.get("route") or record.get("route6"))
            if network is not None:
                self._routes.add(network, _Route(str(network), asn_number(record.get("origin"))))
        for record in _objects(data, "inetnum", "inet6num"):
            network = _network(record.get("cidr"))
            country = country_code(record.get("country"))
            if network is not None and country is not None:
                self._countries.add(network, country)
        for record in _objects(data, "aut-num"):
            asn, name = asn_number(record.get("aut-num")), text(record.get("as-name"))
            if asn is not None and name is not None:
                self._as_names[asn] = name

    def find(self, ip: Address) -> Facts | None:
        """Origin AS, its name and the country of the most specific objects holding ``ip``."""
        route = self._routes.longest(ip)
        country = self._countries.longest(ip)
        if route is None and country is None:
            return None
        origin = route.origin if route is not None else None
        return Facts(
            asn=origin,
            as_name=self._as_names.get(origin) if origin is not None else None,
            country=country,
            network=route.network if route is not None else None,
        )


def _objects(data: Path, *kinds: str) -> Iterator[Mapping[str, str]]:
    for kind in kinds:
        folder = data / kind
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    yield parse_object(path.read_text(errors="replace"))


def _network(value: str | None) -> Network | None:
    try:
        return ipaddress.ip_network(value or "", strict=False)
    except ValueError:
        return None
