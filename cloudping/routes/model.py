"""What the route store answers: routes, per-prefix groups, a source's status, and the query
that asks for them. Field names are design.md's (``prefix, peer, peer_as, as_path, ...``)."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cloudping.commands import names
from cloudping.errors import CloudpingError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Hop = int | tuple[int, ...]  # an ASN of an AS_SEQUENCE, or the sorted ASNs of an AS_SET
DEFAULT_LIMIT = 100
_T = TypeVar("_T")
MAX_LIMIT = 10_000


def as_path_text(as_path: Iterable[Hop]) -> str:
    """An AS path as people (and bgpdump) write it: ``174 13335``, a set as ``{1,2}``."""
    return " ".join(
        str(hop) if isinstance(hop, int) else "{" + ",".join(map(str, hop)) + "}" for hop in as_path
    )


def source_name(name: str) -> str:
    """``name`` if it may name a route source (it names a file in the data directory).

    Raises:
        CloudpingError: ``bad_source`` otherwise.
    """
    try:
        return names.check_name(name)
    except ValueError as exc:
        raise CloudpingError(f"bad route source name {name!r}: {exc}", code="bad_source") from exc


@dataclass(frozen=True, slots=True)
class Route:
    """One route: ``prefix`` as ``peer`` (in ``peer_as``) has it, from ``source``."""

    prefix: str
    peer: str
    peer_as: int
    as_path: tuple[Hop, ...]
    origin_as: int | None
    next_hop: str | None
    communities: tuple[str, ...]
    large_communities: tuple[str, ...]
    source: str

    def to_json(self) -> dict[str, Any]:
        """The route as one JSON object (``--json`` prints one per line)."""
        return {
            "prefix": self.prefix,
            "peer": self.peer,
            "peer_as": self.peer_as,
            "as_path": [list(hop) if isinstance(hop, tuple) else hop for hop in self.as_path],
            "origin_as": self.origin_as,
            "next_hop": self.next_hop,
            "communities": list(self.communities),
            "large_communities": list(self.large_communities),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class PathSeen:
    """An AS path of a prefix and how many peers carry it (``visibility``)."""

    as_path: tuple[Hop, ...]
    visibility: int

    def to_json(self) -> dict[str, Any]:
        hops = [list(hop) if isinstance(hop, tuple) else hop for hop in self.as_path]
        return {"as_path": hops, "visibility": self.visibility}


@dataclass(frozen=True, slots=True)
class RouteGroup:
    """The routes of one prefix of one source, folded for people and MCP."""

    prefix: str
    source: str
    origin_as: tuple[int, ...]  # more than one: a MOAS prefix
    visibility: int  # peers that carry the prefix at all
    paths: tuple[PathSeen, ...]
    communities: tuple[str, ...]
    large_communities: tuple[str, ...]
    next_hops: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "source": self.source,
            "origin_as": list(self.origin_as),
            "visibility": self.visibility,
            "paths": [path.to_json() for path in self.paths],
            "communities": list(self.communities),
            "large_communities": list(self.large_communities),
            "next_hops": list(self.next_hops),
        }


def grouped(routes: Iterable[Route]) -> list[RouteGroup]:
    """``routes`` folded per (source, prefix), in the order they first appear; paths by how
    many peers carry them, most first."""
    by_prefix: dict[tuple[str, str], list[Route]] = {}
    for route in routes:
        by_prefix.setdefault((route.source, route.prefix), []).append(route)
    return [_group(prefix, source, members) for (source, prefix), members in by_prefix.items()]


def _group(prefix: str, source: str, routes: Sequence[Route]) -> RouteGroup:
    paths = Counter(route.as_path for route in routes)
    return RouteGroup(
        prefix,
        source,
        tuple(_unique(r.origin_as for r in routes if r.origin_as is not None)),
        len({route.peer for route in routes}),
        tuple(PathSeen(path, count) for path, count in paths.most_common()),
        tuple(_unique(c for r in routes for c in r.communities)),
        tuple(_unique(c for r in routes for c in r.large_communities)),
        tuple(_unique(r.next_hop for r in routes if r.next_hop is not None)),
    )


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


@dataclass(frozen=True, slots=True)
class RouteQuery:
    """What to look up; the given criteria all apply (the grammar gives one of the first five).

    ``prefix`` is an address (longest match and the prefixes covering it) or a prefix (exact,
    or with ``more_specific``/``less_specific`` the prefixes inside or around it, itself
    included). ``path`` is a contiguous, ordered run of ASNs.
    """

    prefix: str | None = None
    origin: int | None = None
    neighbor: int | None = None
    path: tuple[int, ...] = ()
    community: str | None = None
    more_specific: bool = False
    less_specific: bool = False
    source: str | None = None
    limit: int = DEFAULT_LIMIT

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise CloudpingError(f"limit must be 1..{MAX_LIMIT}", code="bad_query")
        if self.more_specific and self.less_specific:
            raise CloudpingError("more_specific or less_specific, not both", code="bad_query")
        if (self.more_specific or self.less_specific) and self.network is None:
            raise CloudpingError("more/less specific needs a prefix", code="bad_query")

    @property
    def network(self) -> IpNetwork | None:
        """The prefix asked about (an address as a host prefix), when there is one."""
        if self.prefix is None:
            return None
        try:
            return ipaddress.ip_network(self.prefix, strict=False)
        except ValueError as exc:
            message = f"{self.prefix!r} is not an IP address or prefix"
            raise CloudpingError(message, code="bad_query") from exc

    @property
    def by_address(self) -> bool:
        return self.prefix is not None and "/" not in self.prefix


@dataclass(frozen=True, slots=True)
class RouteAnswer:
    """A page of routes (at most the query's limit) and whether more matched."""

    routes: tuple[Route, ...]
    truncated: bool

    @property
    def groups(self) -> list[RouteGroup]:
        return grouped(self.routes)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """What a source serves now (``None``s before its first load) and its last failure."""

    source: str
    entries: int | None = None
    peers: int | None = None
    prefixes: int | None = None
    dump_time: int | None = None
    loaded_at: float | None = None
    origin: str | None = None  # the file or URL the serving generation came from
    last_error: dict[str, Any] | None = field(default=None)

    def to_json(self, now: float) -> dict[str, Any]:
        age = None if self.dump_time is None else max(0.0, now - self.dump_time)
        return {
            "source": self.source,
            "entries": self.entries,
            "peers": self.peers,
            "prefixes": self.prefixes,
            "dump_time": self.dump_time,
            "age_s": age,
            "loaded_at": self.loaded_at,
            "origin": self.origin,
            "last_error": self.last_error,
        }
