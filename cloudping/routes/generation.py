"""Load one MRT dump as a new generation of a source: a fresh SQLite file beside the serving
one, indexed once complete, then swapped in with one atomic rename. A dump that fails or
stops part way leaves no trace but its error: the serving file was never touched.

Layout in the data directory: ``routes/<source>.sqlite`` serves; ``routes/<source>.error.json``
holds the last failed load's error (removed by the next good one).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudping.datafiles import private_dir, private_file
from cloudping.errors import CloudpingError
from cloudping.routes.model import Hop, as_path_text, source_name
from cloudping.routes.mrt import Attributes, Peer, RibRow, TableDumpReader

ROUTES_DIR = "routes"
_BATCH = 20_000  # rows per executemany: large enough to amortise, small enough to stay lean

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE peers(id INTEGER PRIMARY KEY, address TEXT NOT NULL, asn INTEGER NOT NULL,
                   bgp_id TEXT NOT NULL);
-- as_path and communities are space-padded (" 174 13335 ") so that LIKE finds a contiguous,
-- ordered run; an AS_SET reads "{1,2}" as bgpdump writes it.
CREATE TABLE attrs(id INTEGER PRIMARY KEY, as_path TEXT NOT NULL, origin_as INTEGER,
                   neighbor_as INTEGER, next_hop TEXT, communities TEXT NOT NULL,
                   large_communities TEXT NOT NULL);
CREATE TABLE routes(family INTEGER NOT NULL, network BLOB NOT NULL, length INTEGER NOT NULL,
                    peer INTEGER NOT NULL, path_id INTEGER, attrs INTEGER NOT NULL);
CREATE TABLE path_asns(asn INTEGER NOT NULL, attrs INTEGER NOT NULL,
                       PRIMARY KEY(asn, attrs)) WITHOUT ROWID;
CREATE TABLE community_members(community TEXT NOT NULL, attrs INTEGER NOT NULL,
                               PRIMARY KEY(community, attrs)) WITHOUT ROWID;
"""
# Built after the rows are in: one sort per index instead of a B-tree insert per row.
INDEXES = """
CREATE INDEX routes_prefix ON routes(family, network, length);
CREATE INDEX routes_attrs ON routes(attrs);
CREATE INDEX attrs_origin ON attrs(origin_as);
CREATE INDEX attrs_neighbor ON attrs(neighbor_as);
"""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a load put in service."""

    source: str
    entries: int
    peers: int
    prefixes: int
    dump_time: int | None
    path: Path | str  # the serving file, or where PostgreSQL serves it


def routes_dir(data_dir: Path) -> Path:
    return data_dir / ROUTES_DIR


def serving_path(data_dir: Path, source: str) -> Path:
    return routes_dir(data_dir) / f"{source_name(source)}.sqlite"


def error_path(data_dir: Path, source: str) -> Path:
    return routes_dir(data_dir) / f"{source_name(source)}.error.json"


def path_text(as_path: Iterable[Hop]) -> str:
    """An AS path as stored: space-padded, so that LIKE '% 174 13335 %' finds a run."""
    return f" {as_path_text(as_path)} "


def load(
    data_dir: Path,
    source: str,
    rows: Iterable[RibRow],
    reader: TableDumpReader,
    *,
    origin: str,
    now: float,
    validators: Mapping[str, str] | None = None,
) -> LoadResult:
    """Write ``rows`` (from ``reader``) as the next generation of ``source`` and serve it.

    Raises:
        MrtError: the dump is truncated or corrupt (nothing changed; the error is kept for
            the source's status).
        CloudpingError: ``empty_dump`` when the dump has no peer table or no route.
    """
    directory = routes_dir(data_dir)
    private_dir(directory)
    target = serving_path(data_dir, source)
    loading = target.with_name(f".{target.name}.{os.getpid()}.loading")
    loading.unlink(missing_ok=True)
    try:
        meta = {"source": source, "origin": origin, "loaded_at": now}
        result = _write(loading, rows, reader, meta, {} if validators is None else validators)
        os.replace(loading, target)  # the swap: readers opening after this see the new file
        _sync_dir(directory)
    except CloudpingError as exc:
        loading.unlink(missing_ok=True)
        keep_error(data_dir, source, exc, now)
        raise
    except BaseException:
        loading.unlink(missing_ok=True)
        raise
    error_path(data_dir, source).unlink(missing_ok=True)
    return LoadResult(source, result[0], result[1], result[2], reader.dump_time, target)


def _write(
    path: Path,
    rows: Iterable[RibRow],
    reader: TableDumpReader,
    meta: dict[str, Any],
    validators: Mapping[str, str],
) -> tuple[int, int, int]:
    """Write the generation's file; ``validators`` (a URL's ETag and Last-Modified, filled in
    as its answer arrives) are read once every row is in."""
    private_file(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # A generation nobody reads yet: no journal, no fsync per page. The file is synced
        # once, whole, before the rename that serves it.
        db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;"
            "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
        )
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        entries = _insert(db, rows)
        peers = _peers(db, reader.peers)
        if not peers or not entries:
            raise CloudpingError(f"the dump for {meta['source']} has no routes", code="empty_dump")
        meta |= {"entries": entries, "peers": peers, "prefixes": reader.prefixes,
                 "dump_time": reader.dump_time, "validators": dict(validators)}  # fmt: skip
        rows_of_meta = [(key, json.dumps(value)) for key, value in meta.items()]
        db.executemany("INSERT INTO meta VALUES (?, ?)", rows_of_meta)
        db.execute("COMMIT")
        db.executescript(INDEXES)
        db.execute("ANALYZE")
    finally:
        db.close()
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    return entries, peers, reader.prefixes


def _peers(db: sqlite3.Connection, peers: tuple[Peer, ...]) -> int:
    db.executemany(
        "INSERT INTO peers VALUES (?, ?, ?, ?)",
        [(i, p.address, p.asn, p.bgp_id) for i, p in enumerate(peers)],
    )
    return len(peers)


def _insert(db: sqlite3.Connection, rows: Iterable[RibRow]) -> int:
    """Insert every row, each distinct attribute set once (its reader key is its id); returns
    how many rows."""
    batch = Batch()
    routes = batch.routes
    entries = newest = 0
    for family, network, length, peer, path_id, _, key, attributes in rows:
        if key > newest:  # the reader numbers attribute sets in the order it meets them
            newest = key
            batch.attributes(key, attributes)
        routes.append((family, network, length, peer, path_id, key))
        if len(routes) >= _BATCH:
            entries += batch.flush(db)
    return entries + batch.flush(db)


class Batch:
    """Rows waiting for one ``executemany`` per table."""

    def __init__(self) -> None:
        self.routes: list[tuple[int, bytes, int, int, int | None, int]] = []
        self.attrs: list[tuple[int, str, int | None, int | None, str | None, str, str]] = []
        self.path_asns: list[tuple[int, int]] = []
        self.members: list[tuple[str, int]] = []

    def attributes(self, key: int, attributes: Attributes) -> None:
        self.attrs.append((
            key,
            path_text(attributes.as_path),
            attributes.origin_as,
            attributes.neighbor_as,
            attributes.next_hop,
            f" {' '.join(attributes.communities)} ",
            f" {' '.join(attributes.large_communities)} ",
        ))  # fmt: skip
        hops = attributes.as_path
        asns = {asn for hop in hops for asn in (hop if isinstance(hop, tuple) else (hop,))}
        self.path_asns += [(asn, key) for asn in asns]
        members = {*attributes.communities, *attributes.large_communities}
        self.members += [(community, key) for community in members]

    def flush(self, db: sqlite3.Connection) -> int:
        db.executemany("INSERT INTO attrs VALUES (?, ?, ?, ?, ?, ?, ?)", self.attrs)
        db.executemany("INSERT INTO path_asns VALUES (?, ?)", self.path_asns)
        db.executemany("INSERT INTO community_members VALUES (?, ?)", self.members)
        db.executemany("INSERT INTO routes VALUES (?, ?, ?, ?, ?, ?)", self.routes)
        count = len(self.routes)
        for pending in (self.routes, self.attrs, self.path_asns, self.members):
            pending.clear()
        return count


def keep_error(data_dir: Path, source: str, exc: CloudpingError, now: float) -> None:
    with contextlib.suppress(OSError):  # the status is a courtesy; the error is raised anyway
        path = error_path(data_dir, source)
        private_file(path)
        path.write_text(json.dumps({**exc.to_dict(), "at": now}))


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def served_validators(data_dir: Path, source: str) -> dict[str, str]:
    """The ETag/Last-Modified the serving generation of ``source`` was fetched with."""
    path = serving_path(data_dir, source)
    if not path.exists():
        return {}
    with contextlib.closing(open_generation(path)) as db:
        row = db.execute("SELECT value FROM meta WHERE key = 'validators'").fetchone()
    found = json.loads(row[0]) if row else {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def open_generation(path: Path) -> sqlite3.Connection:
    """A serving generation, read-only. ``immutable``: a generation never changes once it
    serves (a load replaces the file), so SQLite need not lock or look for writers."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
