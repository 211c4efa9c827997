"""Answer route queries from the serving generations of every source (read-only).

Each query opens the serving file of each source it asks: a generation swapped in by a load
(an atomic rename) is seen by the next query, while a query already running finishes on the
file it opened (its inode lives until it is closed). Files are opened ``immutable``: a
generation never changes once it serves, so SQLite need not lock or check for writers.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from cloudping.errors import CloudpingError
from cloudping.routes.generation import (
    error_path,
    open_generation,
    path_text,
    routes_dir,
    serving_path,
)
from cloudping.routes.model import Hop, IpNetwork, Route, RouteAnswer, RouteQuery, SourceStatus

_SELECT = """
SELECT r.network, r.length, p.address, p.asn, a.as_path, a.origin_as, a.next_hop,
       a.communities, a.large_communities
FROM routes r JOIN peers p ON p.id = r.peer JOIN attrs a ON a.id = r.attrs
"""
# A prefix query walks the prefix index; the others walk the attribute sets they match in id
# order (origin, neighbour, path and community indexes give them so), which a LIMIT can stop
# early: ordering half a million matches by prefix to keep the first 100 took seconds.
_BY_PREFIX = " ORDER BY r.family, r.network, r.length, r.peer, r.path_id LIMIT ?"
_BY_ATTRIBUTES = " ORDER BY a.id, r.rowid LIMIT ?"
# An address's covering prefixes longest first: a page cut by the limit keeps the longest
# match (by network, a covering /8 sorts before the /24 and filled the page).
_LONGEST_FIRST = " ORDER BY r.length DESC, r.family, r.network, r.peer, r.path_id LIMIT ?"
MAX_ORIGIN_ROWS = 1_000  # routes origin_of weighs: the longest match's come first


class RouteStore:
    """The route sources of a data directory, as a query sees them."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def sources(self) -> list[str]:
        """The sources that serve a generation, by name."""
        directory = routes_dir(self.data_dir)
        if not directory.is_dir():
            return []
        return sorted(path.stem for path in directory.glob("*.sqlite"))

    def lookup(self, query: RouteQuery) -> RouteAnswer:
        """The routes ``query`` matches, at most its limit, shown by prefix (an address: the
        longest match first). Which routes fill a page past the limit: the longest prefixes
        for an address, the first by prefix for a prefix query, the first by attribute set for
        the others (see ``_BY_ATTRIBUTES``).

        Raises:
            CloudpingError: ``no_routes`` (no source serves; the named one does not exist),
                ``bad_query``.
        """
        sources = self._asked(query.source)
        where, params = conditions(query)
        order = _order(query)
        found: list[Route] = []
        for source in sources:
            found += self._select(source, where + order, params, query.limit + 1)
        page = found[: query.limit]
        page.sort(key=_by_address_then_length if query.by_address else _by_prefix)
        return RouteAnswer(tuple(page), len(found) > query.limit)

    def origin_of(self, address: str) -> tuple[str, int] | None:
        """The longest prefix covering ``address`` and its origin AS (the one most peers
        see), from any source; ``None`` when no route covers it. For per-hop enrichment
        (blocking file I/O: call it off the event loop)."""
        try:
            answer = self.lookup(RouteQuery(prefix=address, limit=MAX_ORIGIN_ROWS))
        except CloudpingError:
            return None
        groups = [group for group in answer.groups if group.origin_as]
        if not groups:
            return None
        best = groups[0]
        counts = {asn: 0 for asn in best.origin_as}
        for path in best.paths:
            last = path.as_path[-1] if path.as_path else None
            if isinstance(last, int) and last in counts:
                counts[last] += path.visibility
        return best.prefix, max(counts, key=lambda asn: counts[asn])

    def status(self) -> list[SourceStatus]:
        """Every source's serving generation and last failed load."""
        directory = routes_dir(self.data_dir)
        failed = directory.glob("*.error.json") if directory.is_dir() else ()
        names = {*self.sources(), *(p.name.removesuffix(".error.json") for p in failed)}
        return [self._status(name) for name in sorted(names)]

    def _status(self, source: str) -> SourceStatus:
        error = _read_json(error_path(self.data_dir, source))
        path = serving_path(self.data_dir, source)
        if not path.exists():
            return SourceStatus(source, last_error=error)
        with closing(open_generation(path)) as db:
            meta = {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}
        return SourceStatus(
            source,
            meta["entries"],
            meta["peers"],
            meta["prefixes"],
            meta["dump_time"],
            meta["loaded_at"],
            meta["origin"],
            error,
        )

    def _asked(self, source: str | None) -> list[str]:
        sources = self.sources()
        if source is not None:
            if source not in sources:
                raise CloudpingError(
                    f"no route source {source!r} serves here", code="no_routes", source=source
                )
            return [source]
        if not sources:
            raise CloudpingError(
                "no route source serves here: import an MRT dump first "
                "(cloudping route ingest FILE --source NAME)",
                code="no_routes",
            )
        return sources

    def _select(self, source: str, where: str, params: list[Any], limit: int) -> list[Route]:
        path = serving_path(self.data_dir, source)
        try:
            db = open_generation(path)
        except sqlite3.Error:  # swapped out between listing and opening: nothing to add
            return []
        with closing(db):
            cursor = db.execute(_SELECT + " WHERE " + where, [*params, limit])
            return [_route(row, source) for row in cursor]


def _order(query: RouteQuery) -> str:
    if query.by_address:
        return _LONGEST_FIRST
    return _BY_PREFIX if query.network is not None else _BY_ATTRIBUTES


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def conditions(query: RouteQuery) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query`` and its parameters: every criterion given applies."""
    where: list[str] = []
    params: list[Any] = []
    network = query.network
    if network is not None:
        clause, values = _prefix_clause(network, query)
        where.append(clause)
        params += values
    if query.origin is not None:
        where.append("a.origin_as = ?")
        params.append(query.origin)
    if query.neighbor is not None:
        where.append("a.neighbor_as = ?")
        params.append(query.neighbor)
    if query.path:
        # The index finds the attribute sets holding the first ASN; LIKE keeps those where
        # the whole run is contiguous and in order.
        where.append("r.attrs IN (SELECT attrs FROM path_asns WHERE asn = ?) AND a.as_path LIKE ?")
        params += [query.path[0], f"%{path_text(query.path)}%"]
    if query.community is not None:
        where.append("r.attrs IN (SELECT attrs FROM community_members WHERE community = ?)")
        params.append(query.community)
    if not where:
        raise CloudpingError("give a prefix, origin, neighbor, path or community", code="bad_query")
    return " AND ".join(where), params


def _prefix_clause(network: IpNetwork, query: RouteQuery) -> tuple[str, list[Any]]:
    family = network.version
    if query.more_specific:  # the prefix and every prefix inside it
        low, high = network.network_address.packed, network.broadcast_address.packed
        clause = "r.family = ? AND r.network BETWEEN ? AND ? AND r.length >= ?"
        return clause, [family, low, high, network.prefixlen]
    if query.less_specific or query.by_address:  # the prefix and every prefix around it
        covering = list(_covering(network))
        terms = " OR ".join(["(r.network = ? AND r.length = ?)"] * len(covering))
        values: list[Any] = [family]
        for supernet in covering:
            values += [supernet.network_address.packed, supernet.prefixlen]
        return f"r.family = ? AND ({terms})", values
    clause = "r.family = ? AND r.network = ? AND r.length = ?"
    return clause, [family, network.network_address.packed, network.prefixlen]


def _covering(network: IpNetwork) -> Iterator[IpNetwork]:
    for length in range(network.prefixlen, -1, -1):
        yield network.supernet(new_prefix=length)


def _route(row: tuple[Any, ...], source: str) -> Route:
    network, length, peer, peer_as, as_path, origin_as, next_hop, comms, large = row
    address = ipaddress.ip_address(network)
    return Route(
        f"{address}/{length}",
        peer,
        peer_as,
        _hops(as_path),
        origin_as,
        next_hop,
        tuple(comms.split()),
        tuple(large.split()),
        source,
    )


def _hops(text: str) -> tuple[Hop, ...]:
    return tuple(
        tuple(int(a) for a in hop[1:-1].split(",")) if hop.startswith("{") else int(hop)
        for hop in text.split()
    )


def _by_prefix(route: Route) -> tuple[int, int, int, str]:
    network = ipaddress.ip_network(route.prefix)
    return (network.version, int(network.network_address), network.prefixlen, route.source)


def _by_address_then_length(route: Route) -> tuple[int, str]:
    """The longest match first, then the prefixes covering it (each source in turn)."""
    return (-int(route.prefix.rsplit("/", 1)[1]), route.source)
