"""The route store in PostgreSQL, for deployments too big for a file per source: the same
tables, queries and answers as the SQLite store (:mod:`cloudping.routes.lookup`), with
prefixes as ``cidr`` under a GiST index and rows loaded with COPY.

Each source serves from its own schema, ``cloudping_routes__<source>``. A load writes the
next generation into a schema of its own beside it, indexes it, then in one transaction
renames the serving schema away, renames the new one in and drops the old: a query sees the
old generation or the new one, whole (one that was running holds the old tables until it
ends; the swap waits for it). Load and swap are one transaction: a load that fails leaves
nothing but its error in ``cloudping_route_errors``; the serving generation was never touched.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cloudping.errors import CloudpingError
from cloudping.routes.generation import Batch, LoadResult
from cloudping.routes.lookup import (
    SELECT_ROUTES,
    asked_sources,
    conditions,
    order_of,
    origin_from,
    page_of,
    route_of,
    source_status,
)
from cloudping.routes.model import (
    IpNetwork,
    Route,
    RouteAnswer,
    RouteQuery,
    SourceStatus,
    source_name,
)
from cloudping.routes.mrt import Peer, RibRow, TableDumpReader

if TYPE_CHECKING:
    import psycopg

SERVING = "cloudping_routes__"  # + the source's name: the schema that serves it
LOADING = "cloudping_loading__"  # + pid + name: a generation being written
MAX_SOURCE = 63 - len(LOADING) - len("_4194304_old")  # PostgreSQL names: 63 bytes at most
ERRORS = "cloudping_route_errors"
MAX_IDLE = 4  # connections kept between calls: the worker threads that query at once
# The SQLite store's tables; ASNs as bigint held to 0..2^32-1 (PostgreSQL has no unsigned
# type, and a signed int would turn AS 4200000001 negative). An AS path and communities are
# space-padded text for the same contiguous-run LIKE as SQLite's.
_ASN = "bigint CHECK ({0} BETWEEN 0 AND 4294967295)"
SCHEMA = f"""
CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE peers(id integer PRIMARY KEY, address text NOT NULL,
                   asn {_ASN.format("asn")} NOT NULL, bgp_id text NOT NULL);
CREATE TABLE attrs(id integer PRIMARY KEY, as_path text NOT NULL,
                   origin_as {_ASN.format("origin_as")}, neighbor_as {_ASN.format("neighbor_as")},
                   next_hop text, communities text NOT NULL, large_communities text NOT NULL);
CREATE TABLE routes(id bigint NOT NULL, family smallint NOT NULL, network cidr NOT NULL,
                    length smallint NOT NULL, peer integer NOT NULL, path_id bigint,
                    attrs integer NOT NULL);
CREATE TABLE path_asns(asn bigint NOT NULL, attrs integer NOT NULL);
CREATE TABLE community_members(community text NOT NULL, attrs integer NOT NULL);
"""
# Built once the rows are in, as the SQLite store does.
INDEXES = """
CREATE INDEX ON routes USING gist (network inet_ops);
CREATE INDEX ON routes(family, network, length);
CREATE INDEX ON routes(attrs);
CREATE INDEX ON attrs(origin_as);
CREATE INDEX ON attrs(neighbor_as);
CREATE INDEX ON path_asns(asn, attrs);
CREATE INDEX ON community_members(community, attrs);
ANALYZE routes; ANALYZE attrs; ANALYZE path_asns; ANALYZE community_members; ANALYZE peers;
"""
# The order a route query (FROM routes JOIN peers JOIN attrs WHERE ... path_asns,
# community_members) locks the tables in, then the status's.
LOCK_ORDER = ("routes", "peers", "attrs", "path_asns", "community_members", "meta")
# SQLite's rowid is the load order; here ``id`` is.
_BY_ATTRIBUTES = " ORDER BY a.id, r.id LIMIT ?"
_SELECT = SELECT_ROUTES.format(network="host(r.network)")


class PgRouteStore:
    """The route sources in the PostgreSQL database at ``dsn`` (a libpq connection string
    or URI), as queries and loads see them. Safe across threads: each call has a connection
    of its own, kept for the next when it ends well."""

    def __init__(self, dsn: str) -> None:
        """Raises:
        ValueError: ``dsn`` is malformed or holds a password, or psycopg
            (``cloudping[postgresql]``) is missing.
        """
        try:
            import psycopg  # noqa: PLC0415 (only a PostgreSQL deployment needs it)
        except ImportError as exc:
            raise ValueError("a PostgreSQL route store needs cloudping[postgresql]") from exc
        try:
            options = psycopg.conninfo.conninfo_to_dict(dsn)
        except psycopg.ProgrammingError:  # its message quotes the string, password included
            message = "--route-store: not a PostgreSQL connection string (a URI or key=value)"
            raise ValueError(message) from None
        if "password" in options:  # a setting is shown and logged; a passfile is not
            message = "--route-store: put the password in a passfile (passfile=, ~/.pgpass)"
            raise ValueError(message)
        self.dsn = dsn
        self._idle: list[psycopg.Connection[tuple[Any, ...]]] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the idle connections (a call after this connects anew)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    def sources(self) -> list[str]:
        """The sources that serve a generation, by name."""
        with self._connect() as db:
            return _sources(db)

    def lookup(self, query: RouteQuery) -> RouteAnswer:
        """As :meth:`cloudping.routes.lookup.RouteStore.lookup`, the same answers."""
        where, params = conditions(query, _prefix_clause)
        order = order_of(query, _BY_ATTRIBUTES)
        sql = _placeholders(_SELECT + " WHERE " + where + order)
        found: list[Route] = []
        with self._connect() as db:
            for source in asked_sources(_sources(db), query.source):
                found += self._select(db, source, sql, [*params, query.limit + 1])
        return page_of(found, query)

    def origin_of(self, address: str) -> tuple[str, int] | None:
        """As :meth:`cloudping.routes.lookup.RouteStore.origin_of`."""
        return origin_from(self, address)

    def status(self) -> list[SourceStatus]:
        """Every source's serving generation and last failed load."""
        with self._connect() as db:
            self._ensure_errors(db)
            errors = {name: json.loads(text) for name, text in db.execute(f"TABLE {ERRORS}")}
            names = sorted({*_sources(db), *errors})
            found = []
            for name in names:
                error = errors.get(name)
                meta = self._meta(db, name)
                found.append(
                    SourceStatus(name, last_error=error)
                    if meta is None
                    else source_status(name, meta, error)
                )
            return found

    def served_validators(self, source: str) -> dict[str, str]:
        """The ETag/Last-Modified the serving generation of ``source`` was fetched with."""
        with self._connect() as db:
            meta = self._meta(db, source)
        found = (meta or {}).get("validators", {})
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    def load(
        self,
        source: str,
        rows: Iterable[RibRow],
        reader: TableDumpReader,
        *,
        origin: str,
        now: float,
        validators: Mapping[str, str] | None = None,
    ) -> LoadResult:
        """As :func:`cloudping.routes.generation.load`, into a new schema swapped in whole.

        Raises:
            MrtError: the dump is truncated or corrupt (nothing changed; the error is kept).
            CloudpingError: ``empty_dump`` when the dump has no peer table or no route.
        """
        import psycopg  # noqa: PLC0415 (only a PostgreSQL deployment needs it)
        from psycopg import sql  # noqa: PLC0415

        source_name(source)
        if len(source) > MAX_SOURCE:  # PostgreSQL cuts longer names: two sources would clash
            message = f"a route source in PostgreSQL has a name of {MAX_SOURCE} characters at most"
            raise CloudpingError(message, code="bad_source")
        serving = sql.Identifier(SERVING + source)
        loading = sql.Identifier(f"{LOADING}{os.getpid()}_{source}")
        old = sql.Identifier(f"{LOADING}{os.getpid()}_{source}_old")
        with self._connect() as db:
            self._ensure_errors(db)
            try:
                # One transaction, load and swap: a load that fails or dies (even kill -9)
                # leaves nothing behind, and the serving schema is untouched until the end.
                db.execute(sql.SQL("CREATE SCHEMA {}").format(loading))
                db.execute(sql.SQL("SET LOCAL search_path TO {}").format(loading))
                db.execute(SCHEMA)
                entries = _copy(db, rows)
                peers = _peers(db, reader.peers)
                if not peers or not entries:
                    message = f"the dump for {source} has no routes"
                    raise CloudpingError(message, code="empty_dump")
                meta = {"source": source, "origin": origin, "loaded_at": now,
                        "entries": entries, "peers": peers, "prefixes": reader.prefixes,
                        "dump_time": reader.dump_time,
                        "validators": dict(validators or {})}  # fmt: skip
                with db.cursor().copy("COPY meta FROM STDIN") as copy:
                    for key, value in meta.items():
                        copy.write_row((key, json.dumps(value)))
                db.execute(INDEXES)
                db.execute("SET LOCAL search_path TO DEFAULT")
                # The swap: the serving schema's tables are locked first, in the order a
                # query locks them: the swap waits for queries already reading them, queries
                # after it wait, then read the new ones (in another order, a query and the
                # drop deadlock).
                if self._meta(db, source) is not None:
                    tables = sql.SQL(", ").join(
                        sql.Identifier(SERVING + source, table) for table in LOCK_ORDER
                    )
                    db.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(tables))
                    db.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(serving, old))
                db.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(loading, serving))
                db.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(old))
                db.execute("DELETE FROM cloudping_route_errors WHERE source = %s", [source])
                db.commit()
            except (CloudpingError, psycopg.Error) as exc:
                failure = exc if isinstance(exc, CloudpingError) else _failed(exc)
                with contextlib.suppress(psycopg.Error):  # the status is a courtesy
                    db.rollback()
                    self._keep_error(db, source, failure, now)
                    db.commit()
                if failure is exc:
                    raise
                raise failure from exc
        return LoadResult(
            source, entries, peers, reader.prefixes, reader.dump_time, f"schema {SERVING}{source}"
        )

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A connection, closed after the block; a database error becomes a CloudpingError.

        Raises:
            CloudpingError: ``route_store_unreachable``, ``route_store_failed``.
        """
        import psycopg  # noqa: PLC0415 (only a PostgreSQL deployment needs it)

        db = self._take()
        try:
            try:
                yield db
            except CloudpingError:  # an answer (no_routes...): the connection is sound
                db.rollback()
                self._give(db)
                raise
            db.commit()
        except psycopg.Error as exc:
            db.close()  # perhaps broken (a restarted server): the next call connects anew
            raise _failed(exc) from exc
        except CloudpingError:
            raise
        except BaseException:
            db.close()
            raise
        self._give(db)

    def _give(self, db: psycopg.Connection[tuple[Any, ...]]) -> None:
        """Keep ``db`` for the next call, up to :data:`MAX_IDLE`."""
        with self._lock:
            if len(self._idle) < MAX_IDLE and not db.broken:
                self._idle.append(db)
                return
        db.close()

    def _take(self) -> psycopg.Connection[tuple[Any, ...]]:
        """An idle connection, or a new one: connecting (a server process forked per
        connection) costs ~7 ms, several times a query."""
        import psycopg  # noqa: PLC0415

        with self._lock:
            if self._idle:
                return self._idle.pop()
        try:
            return psycopg.connect(self.dsn)
        except psycopg.Error as exc:
            message = f"cannot reach the PostgreSQL route store: {exc}"
            raise CloudpingError(message, code="route_store_unreachable") from exc

    def _select(
        self, db: psycopg.Connection[tuple[Any, ...]], source: str, sql: str, params: list[Any]
    ) -> list[Route]:
        import psycopg  # noqa: PLC0415

        with db.transaction():
            db.execute(f"SET LOCAL search_path TO {_quoted(SERVING + source)}")
            try:
                with db.transaction():  # a savepoint: a generation dropped since the listing
                    rows = db.execute(sql, params).fetchall()
            except psycopg.errors.UndefinedTable:  # swapped out since the listing: nothing to add
                return []
        return [route_of(row, source) for row in rows]

    def _meta(self, db: psycopg.Connection[tuple[Any, ...]], source: str) -> dict[str, Any] | None:
        import psycopg  # noqa: PLC0415

        table = f"{_quoted(SERVING + source)}.meta"
        try:
            with db.transaction():
                rows = db.execute(f"SELECT key, value FROM {table}").fetchall()  # noqa: S608
        except psycopg.errors.UndefinedTable:
            return None
        return {key: json.loads(value) for key, value in rows}

    def _ensure_errors(self, db: psycopg.Connection[tuple[Any, ...]]) -> None:
        db.execute(f"CREATE TABLE IF NOT EXISTS {ERRORS}(source text PRIMARY KEY, error text)")
        db.commit()

    def _keep_error(
        self, db: psycopg.Connection[tuple[Any, ...]], source: str, exc: CloudpingError, now: float
    ) -> None:
        db.execute(
            "INSERT INTO cloudping_route_errors VALUES (%s, %s) "
            "ON CONFLICT (source) DO UPDATE SET error = excluded.error",
            [source, json.dumps({**exc.to_dict(), "at": now})],
        )


def _sources(db: psycopg.Connection[tuple[Any, ...]]) -> list[str]:
    found = db.execute(
        "SELECT substr(nspname, %s) FROM pg_namespace WHERE starts_with(nspname, %s)",
        [len(SERVING) + 1, SERVING],
    )
    return sorted(str(name) for (name,) in found)


def _failed(exc: Exception) -> CloudpingError:
    return CloudpingError(f"the PostgreSQL route store failed: {exc}", code="route_store_failed")


def _quoted(name: str) -> str:
    """``name`` as a SQL identifier (a source name is letters, digits and ``._-``)."""
    return '"' + name.replace('"', '""') + '"'


def _placeholders(text: str) -> str:
    """The shared clauses' ``?`` as psycopg's ``%s`` (they hold no other ``?`` or ``%``)."""
    return text.replace("?", "%s")


def _prefix_clause(network: IpNetwork, query: RouteQuery) -> tuple[str, list[Any]]:
    """Prefixes inside, around or equal to ``network``: the GiST index's operators."""
    if query.more_specific:
        # The range (every prefix inside sorts between the prefix and its last address)
        # lets the btree walk only them in order; GiST alone fetched them all to sort.
        last = f"{network.broadcast_address}/{network.max_prefixlen}"
        clause = "r.network <<= ?::cidr AND r.network BETWEEN ?::cidr AND ?::cidr"
        return clause, [str(network), str(network), last]
    if query.less_specific or query.by_address:
        return "r.network >>= ?::cidr", [str(network)]
    return "r.network = ?::cidr", [str(network)]


def _copy(db: psycopg.Connection[tuple[Any, ...]], rows: Iterable[RibRow]) -> int:
    """COPY every row into ``routes`` and each distinct attribute set once into ``attrs``
    (its reader key is its id), with its ASNs and communities; returns how many rows. The
    attribute sets wait in memory for their own COPY: one COPY runs at a time, and they are
    far fewer than the rows."""
    cursor = db.cursor()
    batch = Batch()
    entries = newest = 0
    with cursor.copy("COPY routes FROM STDIN") as copy:
        for family, network, length, peer, path_id, _, key, attributes in rows:
            if key > newest:  # the reader numbers attribute sets in the order it meets them
                newest = key
                batch.attributes(key, attributes)
            entries += 1
            prefix = f"{ipaddress.ip_address(network)}/{length}"
            copy.write_row((entries, family, prefix, length, peer, path_id, key))
    tables: dict[str, list[Any]] = {"attrs": batch.attrs, "path_asns": batch.path_asns,
              "community_members": batch.members}  # fmt: skip
    for table, pending in tables.items():
        with cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in pending:
                copy.write_row(row)
    return entries


def _peers(db: psycopg.Connection[tuple[Any, ...]], peers: tuple[Peer, ...]) -> int:
    with db.cursor().copy("COPY peers FROM STDIN") as copy:
        for index, peer in enumerate(peers):
            copy.write_row((index, peer.address, peer.asn, peer.bgp_id))
    return len(peers)
