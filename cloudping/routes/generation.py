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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cloudping.datafiles import private_dir, private_file
from cloudping.errors import CloudpingError
from cloudping.routes.model import Hop, as_path_text, source_name
from cloudping.routes.mrt import Attributes, Peer, RibRow, TableDumpReader

ROUTES_DIR = "routes"
_BATCH = 20_000  # rows per executemany: large enough to amortise, small enough to stay lean
_ATTRIBUTE_IDS = 500_000  # distinct attribute sets remembered before the memo is emptied

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
    path: Path


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
        result = _write(loading, source, rows, reader, origin=origin, now=now)
        os.replace(loading, target)  # the swap: readers opening after this see the new file
        _sync_dir(directory)
    except CloudpingError as exc:
        loading.unlink(missing_ok=True)
        _keep_error(data_dir, source, exc, now)
        raise
    except BaseException:
        loading.unlink(missing_ok=True)
        raise
    error_path(data_dir, source).unlink(missing_ok=True)
    return LoadResult(source, result[0], result[1], result[2], reader.dump_time, target)


def _write(
    path: Path,
    source: str,
    rows: Iterable[RibRow],
    reader: TableDumpReader,
    *,
    origin: str,
    now: float,
) -> tuple[int, int, int]:
    private_file(path)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        # A generation nobody reads yet: no journal, no fsync per page. The file is synced
        # once, whole, before the rename that serves it.
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;")
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        entries, prefixes = _insert(db, rows)
        peers = _peers(db, reader.peers)
        if not peers or not entries:
            raise CloudpingError(f"the dump for {source} has no routes", code="empty_dump")
        meta = {
            "source": source,
            "origin": origin,
            "loaded_at": now,
            "entries": entries,
            "peers": peers,
            "prefixes": prefixes,
            "dump_time": reader.dump_time,
        }
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()]
        )
        db.execute("COMMIT")
        db.executescript(INDEXES)
        db.execute("ANALYZE")
    finally:
        db.close()
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    return entries, peers, prefixes


def _peers(db: sqlite3.Connection, peers: tuple[Peer, ...]) -> int:
    db.executemany(
        "INSERT INTO peers VALUES (?, ?, ?, ?)",
        [(i, p.address, p.asn, p.bgp_id) for i, p in enumerate(peers)],
    )
    return len(peers)


def _insert(db: sqlite3.Connection, rows: Iterable[RibRow]) -> tuple[int, int]:
    """Insert every row; returns (entries, distinct prefixes)."""
    ids: dict[Attributes, int] = {}
    batch: list[tuple[int, bytes, int, int, int | None, int]] = []
    entries = prefixes = 0
    last: tuple[bytes, int] | None = None
    for row in rows:
        attrs = ids.get(row.attributes)
        if attrs is None:
            if len(ids) >= _ATTRIBUTE_IDS:  # bounded memory: later duplicates get a new id
                ids.clear()
            attrs = ids[row.attributes] = _new_attributes(db, row.attributes)
        batch.append((row.family, row.network, row.length, row.peer, row.path_id, attrs))
        if (row.network, row.length) != last:
            prefixes, last = prefixes + 1, (row.network, row.length)
        if len(batch) >= _BATCH:
            entries += _flush(db, batch)
    entries += _flush(db, batch)
    return entries, prefixes


def _flush(
    db: sqlite3.Connection, batch: list[tuple[int, bytes, int, int, int | None, int]]
) -> int:
    db.executemany("INSERT INTO routes VALUES (?, ?, ?, ?, ?, ?)", batch)
    count = len(batch)
    batch.clear()
    return count


def _new_attributes(db: sqlite3.Connection, attributes: Attributes) -> int:
    cursor = db.execute(
        "INSERT INTO attrs VALUES (NULL, ?, ?, ?, ?, ?, ?)",
        (
            path_text(attributes.as_path),
            attributes.origin_as,
            attributes.neighbor_as,
            attributes.next_hop,
            f" {' '.join(attributes.communities)} ",
            f" {' '.join(attributes.large_communities)} ",
        ),
    )
    attrs = cursor.lastrowid
    assert attrs is not None
    asns = {
        asn for hop in attributes.as_path for asn in (hop if isinstance(hop, tuple) else (hop,))
    }
    db.executemany("INSERT INTO path_asns VALUES (?, ?)", [(asn, attrs) for asn in asns])
    members = {*attributes.communities, *attributes.large_communities}
    db.executemany("INSERT INTO community_members VALUES (?, ?)", [(c, attrs) for c in members])
    return attrs


def _keep_error(data_dir: Path, source: str, exc: CloudpingError, now: float) -> None:
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
