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
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, Protocol

from cloudping.errors import CloudpingError
from cloudping.routes.generation import (
    error_path,
    open_generation,
    path_text,
    routes_dir,
    serving_path,
)
from cloudping.routes.model import Hop, IpNetwork, Route, RouteAnswer, RouteQuery, SourceStatus

# ``{network}``: the column as the store gives it (bytes here, text from PostgreSQL's cidr).
SELECT_ROUTES = """
SELECT {network}, r.length, p.address, p.asn, a.as_path, a.origin_as, a.next_hop,
       a.communities, a.large_communities
FROM routes r JOIN peers p ON p.id = r.peer JOIN attrs a ON a.id = r.attrs
"""
_SELECT = SELECT_ROUTES.format(network="r.network")
# A prefix query walks the prefix index; the others walk the attribute sets they match in id
# order (origin, neighbour, path and community indexes give them so), which a LIMIT can stop
# early: ordering half a million matches by prefix to keep the first 100 took seconds.
BY_PREFIX = " ORDER BY r.family, r.network, r.length, r.peer, r.path_id LIMIT ?"
_BY_ATTRIBUTES = " ORDER BY a.id, r.rowid LIMIT ?"
# An address's covering prefixes longest first: a page cut by the limit keeps the longest
# match (by network, a covering /8 sorts before the /24 and filled the page).
_LONGEST_FIRST = " ORDER BY r.length DESC, r.family, r.network, r.peer, r.path_id LIMIT ?"
MAX_ORIGIN_ROWS = 1_000  # routes origin_of weighs: the longest match's come first
PrefixClause = Callable[[IpNetwork, RouteQuery], tuple[str, list[Any]]]


class RouteSources(Protocol):
    """What the service, the API, MCP, the CLI and the ``bgp`` table ask of a route store
    (SQLite files in a data directory, or PostgreSQL: :mod:`cloudping.routes.pgstore`)."""

    def sources(self) -> list[str]: ...
    def lookup(self, query: RouteQuery) -> RouteAnswer: ...
    def origin_of(self, address: str) -> tuple[str, int] | None: ...
    def status(self) -> list[SourceStatus]: ...


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
        order = order_of(query, _BY_ATTRIBUTES)
        found: list[Route] = []
        for source in sources:
            found += self._select(source, where + order, params, query.limit + 1)
        return page_of(found, query)

    def origin_of(self, address: str) -> tuple[str, int] | None:
        """The longest prefix covering ``address`` and its origin AS (the one most peers
        see), from any source; ``None`` when no route covers it. For per-hop enrichment
        (blocking file I/O: call it off the event loop)."""
        return origin_from(self, address)

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
        return source_status(source, meta, error)

    def _asked(self, source: str | None) -> list[str]:
        return asked_sources(self.sources(), source)

    def _select(self, source: str, where: str, params: list[Any], limit: int) -> list[Route]:
        path = serving_path(self.data_dir, source)
        try:
            db = open_generation(path)
        except sqlite3.Error:  # swapped out between listing and opening: nothing to add
            return []
        with closing(db):
            cursor = db.execute(_SELECT + " WHERE " + where, [*params, limit])
            return [route_of(row, source) for row in cursor]


def page_of(found: list[Route], query: RouteQuery) -> RouteAnswer:
    """The page ``query`` asks of every source's matches (each source's first limit + 1)."""
    page = found[: query.limit]
    page.sort(key=_by_address_then_length if query.by_address else _by_prefix)
    return RouteAnswer(tuple(page), len(found) > query.limit)


def origin_from(store: RouteSources, address: str) -> tuple[str, int] | None:
    """The longest prefix covering ``address`` in ``store`` and its origin AS (the one most
    peers see); ``None`` when no route covers it."""
    try:
        answer = store.lookup(RouteQuery(prefix=address, limit=MAX_ORIGIN_ROWS))
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


def source_status(source: str, meta: dict[str, Any], error: dict[str, Any] | None) -> SourceStatus:
    """A serving generation's status from its ``meta`` rows (JSON-decoded)."""
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


def asked_sources(sources: list[str], source: str | None) -> list[str]:
    """The serving sources a query asks: the one it names, or every one.

    Raises:
        CloudpingError: ``no_routes`` (none serves; the named one does not).
    """
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


def order_of(query: RouteQuery, by_attributes: str) -> str:
    """The ORDER BY and LIMIT of a query: an address's longest match first (so a page cut by
    the limit keeps it), prefixes in order, the rest in the store's attribute order."""
    if query.by_address:
        return _LONGEST_FIRST
    return BY_PREFIX if query.network is not None else by_attributes


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def conditions(
    query: RouteQuery, prefix_clause: PrefixClause | None = None
) -> tuple[str, list[Any]]:
    """The WHERE clause of ``query`` and its parameters (``?`` placeholders): every criterion
    given applies; ``prefix_clause`` matches prefixes (by default this store's packed bytes)."""
    where: list[str] = []
    params: list[Any] = []
    network = query.network
    if network is not None:
        clause, values = (prefix_clause or _prefix_clause)(network, query)
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


def route_of(row: tuple[Any, ...], source: str) -> Route:
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
