"""The SQLite measurement store: one file in the data directory, WAL mode.

Threading: one connection, owned by one thread (:class:`~cloudping.store.owner.OwnerThread`)
that runs every operation in the order it was issued. Why not ``asyncio.to_thread``: it runs
calls on a pool of threads in no fixed order, so two appends issued one after the other can
reach the database swapped (with 100 appends in flight, about half arrive out of order), and
a read issued after a write can miss it. With one owner thread the ``seq`` of a measurement
arrives in order, a replay sees every event appended before it was asked for, ``sqlite3``
objects never change thread, and the event loop never waits on the disk. One writer is no
bottleneck: SQLite serialises writers anyway, and results go back to the loop in batches
(about 18,000 appends a second when many are in flight, 5,000 one after another).
:meth:`SqliteStore.append_events` checks and commits a batch once: ~29,000 events a second
in batches of 10, ~100,000 in batches of 100 (the hub's writer sends what queued meanwhile).

Durability: ``synchronous=NORMAL`` in WAL mode survives a crash of the process; a power loss
may lose the last commits, which is acceptable for measurement records.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar, cast

from cloudping.datafiles import private_file
from cloudping.store.model import (
    FinalStatus,
    MeasurementStatus,
    StoredEvent,
    StoredMeasurement,
    StoreError,
    check_append,
    check_finish,
    exists,
    interrupted_end,
    not_found,
)
from cloudping.store.owner import OwnerThread

_T = TypeVar("_T")
_COMPONENT = "measurements"
# _MIGRATIONS[n] takes the schema from version n to n + 1; append, never edit.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE measurements (
            id TEXT PRIMARY KEY,
            command TEXT NOT NULL,
            command_json TEXT NOT NULL,
            subject TEXT,
            agents TEXT NOT NULL,
            created_at REAL NOT NULL,
            status TEXT NOT NULL DEFAULT 'running',
            summary TEXT,
            ended_at REAL
        )""",
        "CREATE INDEX measurements_created_at ON measurements (created_at)",
        """CREATE TABLE events (
            measurement_id TEXT NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            event TEXT NOT NULL,
            PRIMARY KEY (measurement_id, seq)
        ) WITHOUT ROWID""",
    ),
    # 1 -> 2: read keys; measurements stored before have none (only their owner reads them).
    ("ALTER TABLE measurements ADD COLUMN read_key TEXT",),
)
SCHEMA_VERSION = len(_MIGRATIONS)


class SqliteStore:
    """Measurements in a SQLite file; open it with ``async with SqliteStore.open(path)``."""

    def __init__(self, db: sqlite3.Connection, owner: OwnerThread) -> None:
        self._db = db
        self._owner = owner
        self._closed = False

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, path: str | Path) -> AsyncIterator[Self]:
        """Open (or create) the store in ``path``; closed when the block ends.

        Raises:
            StoreError: ``store_unavailable`` (cannot open, no WAL) or ``state_too_new``.
        """
        owner = OwnerThread("cloudping-store")
        try:
            db = await owner.call(lambda: _connect(Path(path)))
        except BaseException:
            await owner.stop(lambda: None)
            raise
        store = cls(db, owner)
        try:
            yield store
        finally:
            store._closed = True
            await owner.stop(db.close)

    async def create(
        self,
        measurement_id: str,
        *,
        command: str,
        command_json: Mapping[str, Any],
        subject: str | None,
        agents: Sequence[str],
        created_at: float,
        read_key: str | None = None,
    ) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.create`."""
        row = (measurement_id, command, _dump(command_json), subject, _dump(list(agents)))
        await self._call(lambda db: _insert(db, (*row, created_at, read_key)))

    async def append_event(self, measurement_id: str, seq: int, event: Mapping[str, Any]) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.append_event`."""
        await self.append_events(measurement_id, seq, (event,))

    async def append_events(
        self, measurement_id: str, first_seq: int, events: Sequence[Mapping[str, Any]]
    ) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.append_events`."""
        rows = [(measurement_id, seq, _dump(event)) for seq, event in enumerate(events, first_seq)]
        await self._call(lambda db: _append(db, measurement_id, first_seq, rows))

    async def finish(
        self,
        measurement_id: str,
        *,
        status: FinalStatus,
        summary: Mapping[str, Any] | None,
        ended_at: float,
    ) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.finish`."""
        text = None if summary is None else _dump(summary)
        await self._call(lambda db: _finish(db, measurement_id, status, text, ended_at))

    async def get(self, measurement_id: str, *, events: bool = True) -> StoredMeasurement:
        """See :meth:`cloudping.store.base.MeasurementStore.get`."""
        return await self._call(lambda db: _get(db, measurement_id, events=events))

    async def events_since(
        self, measurement_id: str, seq: int, limit: int | None = None
    ) -> tuple[StoredEvent, ...]:
        """See :meth:`cloudping.store.base.MeasurementStore.events_since`."""
        return await self._call(lambda db: _events_since(db, measurement_id, seq, limit))

    async def interrupt_running(self, ended_at: float) -> tuple[str, ...]:
        """See :meth:`cloudping.store.base.MeasurementStore.interrupt_running`."""
        return await self._call(lambda db: _interrupt(db, ended_at))

    async def purge_older_than(self, cutoff: float) -> int:
        """See :meth:`cloudping.store.base.MeasurementStore.purge_older_than`."""
        return await self._call(lambda db: _purge(db, cutoff))

    async def journal_mode(self) -> str:
        """The journal mode SQLite reports (``wal``)."""
        return await self._call(lambda db: str(db.execute("PRAGMA journal_mode").fetchone()[0]))

    async def _call(self, job: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``job`` on the store's thread, after every job issued before it."""
        if self._closed:
            raise StoreError("the measurement store is closed", code="store_unavailable")
        try:
            return await self._owner.call(lambda: job(self._db))
        except sqlite3.Error as exc:
            raise StoreError(f"measurement store: {exc}", code="store_unavailable") from exc


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _connect(path: Path) -> sqlite3.Connection:
    """The connection, in WAL mode, with the schema brought up to date; the file is 0600."""
    try:
        private_file(path)
        db = sqlite3.connect(path, isolation_level=None)  # autocommit; explicit transactions
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open {path}: {exc}", code="store_unavailable") from exc
    try:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            message = f"{path}: SQLite cannot use WAL here (journal mode {mode})"
            raise StoreError(message, code="store_unavailable")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")  # events go with their measurement
        db.execute("PRAGMA busy_timeout=5000")
        _migrate(db, path)
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Create the schema on a new file, run the migrations a file from an older version needs."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
    )
    with _transaction(db):
        row = db.execute(
            "SELECT version FROM schema_version WHERE component = ?", (_COMPONENT,)
        ).fetchone()
        current = 0 if row is None else int(row[0])
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has measurement schema version {current}, newer than this "
                f"cloudping's ({SCHEMA_VERSION}): upgrade cloudping",
                code="state_too_new",
            )
        for statements in _MIGRATIONS[current:]:
            for statement in statements:
                db.execute(statement)
        db.execute(
            "INSERT INTO schema_version VALUES (?, ?) "
            "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
            (_COMPONENT, SCHEMA_VERSION),
        )


def _insert(db: sqlite3.Connection, row: tuple[object, ...]) -> None:
    try:
        db.execute(
            "INSERT INTO measurements "
            "(id, command, command_json, subject, agents, created_at, read_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    except sqlite3.IntegrityError as exc:
        raise exists(str(row[0])) from exc


def _status(db: sqlite3.Connection, measurement_id: str) -> MeasurementStatus:
    row = db.execute("SELECT status FROM measurements WHERE id = ?", (measurement_id,)).fetchone()
    if row is None:
        raise not_found(measurement_id)
    return cast(MeasurementStatus, row[0])


def _append(
    db: sqlite3.Connection, measurement_id: str, first_seq: int, rows: list[tuple[str, int, str]]
) -> None:
    """Check once, insert every row, commit once: a batch costs one transaction, not one each."""
    with _transaction(db):
        status = _status(db, measurement_id)
        (last,) = db.execute(
            "SELECT coalesce(max(seq), 0) FROM events WHERE measurement_id = ?", (measurement_id,)
        ).fetchone()
        check_append(measurement_id, status, int(last), first_seq)
        db.executemany("INSERT INTO events VALUES (?, ?, ?)", rows)


def _finish(
    db: sqlite3.Connection, measurement_id: str, final: str, summary: str | None, ended_at: float
) -> None:
    with _transaction(db):
        check_finish(measurement_id, _status(db, measurement_id), final)
        db.execute(
            "UPDATE measurements SET status = ?, summary = ?, ended_at = ? WHERE id = ?",
            (final, summary, ended_at, measurement_id),
        )


def _get(db: sqlite3.Connection, measurement_id: str, *, events: bool) -> StoredMeasurement:
    row = db.execute(
        "SELECT command, command_json, subject, agents, created_at, status, summary, ended_at, "
        "read_key FROM measurements WHERE id = ?",
        (measurement_id,),
    ).fetchone()
    if row is None:
        raise not_found(measurement_id)
    command, command_json, subject, agents, created_at, status, summary, ended_at, read_key = row
    return StoredMeasurement(
        id=measurement_id,
        command=command,
        command_json=json.loads(command_json),
        subject=subject,
        agents=tuple(json.loads(agents)),
        created_at=created_at,
        status=status,
        summary=None if summary is None else json.loads(summary),
        ended_at=ended_at,
        events=_events_since(db, measurement_id, 0) if events else (),
        event_count=db.execute(
            "SELECT count(*) FROM events WHERE measurement_id = ?", (measurement_id,)
        ).fetchone()[0],
        read_key=read_key,
    )


def _events_since(
    db: sqlite3.Connection, measurement_id: str, seq: int, limit: int | None = None
) -> tuple[StoredEvent, ...]:
    rows = db.execute(
        "SELECT seq, event FROM events WHERE measurement_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (measurement_id, seq, -1 if limit is None else limit),
    ).fetchall()
    if not rows:
        _status(db, measurement_id)  # an unknown id is an error, not an empty replay
    return tuple(StoredEvent(number, json.loads(text)) for number, text in rows)


def _interrupt(db: sqlite3.Connection, ended_at: float) -> tuple[str, ...]:
    """One transaction: the end events and the statuses of every running measurement."""
    with _transaction(db):
        running = db.execute(
            "SELECT m.id, m.created_at, coalesce(max(e.seq), 0) FROM measurements AS m "
            "LEFT JOIN events AS e ON e.measurement_id = m.id "
            "WHERE m.status = 'running' GROUP BY m.id"
        ).fetchall()
        db.executemany(
            "INSERT INTO events VALUES (?, ?, ?)",
            [
                (key, last + 1, _dump(interrupted_end(key, at, ended_at)))
                for key, at, last in running
            ],
        )
        db.executemany(
            "UPDATE measurements SET status = 'interrupted', ended_at = ? WHERE id = ?",
            [(ended_at, key) for key, _, _ in running],
        )
    return tuple(key for key, _, _ in running)


def _purge(db: sqlite3.Connection, cutoff: float) -> int:
    with _transaction(db):
        return db.execute("DELETE FROM measurements WHERE created_at < ?", (cutoff,)).rowcount
