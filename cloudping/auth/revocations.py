"""Revoked tokens: by ``jti`` (one token) and by subject (every token issued until a time).

A check runs on every request, so both implementations answer it from memory; the SQLite one
writes each revocation through to disk, reads them all back when it opens, and again in
:meth:`SqliteRevocations.refresh` once another process (``cloudping token revoke``) has
written the file. The list stays small: a revoked ``jti`` is forgotten once the token would
have expired anyway.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Self

from cloudping.auth.dbfile import connect_private

REVOCATIONS_FILE = "revocations.db"  # in the data directory
_COMPONENT = "revocations"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked_subjects (
    subject TEXT PRIMARY KEY,
    issued_until REAL NOT NULL
);
"""


class Revocations(Protocol):
    """Where revocations are kept. Times are POSIX seconds, passed in."""

    def revoke_token(self, jti: str, expires_at: float) -> None:
        """Refuse the token ``jti`` from now on; forget it after ``expires_at`` (its ``exp``)."""
        ...

    def revoke_subject(self, subject: str, issued_until: float) -> None:
        """Refuse every token of ``subject`` issued at or before ``issued_until``.

        Tokens issued later are accepted: this is "sign out everywhere", not a ban
        (pass ``math.inf`` for a ban).
        """
        ...

    def is_revoked(self, *, jti: str, subject: str, issued_at: float) -> bool:
        """Whether a token with these claims has been revoked."""
        ...

    def purge(self, now: float) -> int:
        """Forget revoked ``jti``s whose tokens have expired by ``now``; how many went."""
        ...

    def refresh(self) -> bool:
        """Take in what other processes revoked since; whether anything changed (may block:
        call it off the event loop)."""
        ...


@dataclass
class MemoryRevocations:
    """Revocations in memory: the twin for tests, and the cache of :class:`SqliteRevocations`."""

    tokens: dict[str, float] = field(default_factory=dict)
    subjects: dict[str, float] = field(default_factory=dict)

    def revoke_token(self, jti: str, expires_at: float) -> None:
        self.tokens[jti] = max(expires_at, self.tokens.get(jti, expires_at))

    def revoke_subject(self, subject: str, issued_until: float) -> None:
        self.subjects[subject] = max(issued_until, self.subjects.get(subject, issued_until))

    def refresh(self) -> bool:
        """Nothing to take in: no other process shares this memory."""
        return False

    def is_revoked(self, *, jti: str, subject: str, issued_at: float) -> bool:
        until = self.subjects.get(subject)
        return jti in self.tokens or (until is not None and issued_at <= until)

    def purge(self, now: float) -> int:
        gone = [jti for jti, expires_at in self.tokens.items() if expires_at < now]
        for jti in gone:
            del self.tokens[jti]
        return len(gone)


class SqliteRevocations:
    """Revocations kept in a SQLite file (its own tables; the file may be shared).

    Writes are rare (an administrator revokes) and go to disk at once, on the caller's
    thread; checks are answered from the in-memory copy, so verifying a token never blocks
    on the disk. Revocations another process writes reach the copy through :meth:`refresh`,
    which the hub calls off its event loop every half second. Several hubs on different
    machines need a shared backend behind the same Protocol (PostgreSQL or Redis).
    """

    def __init__(self, connection: sqlite3.Connection, cache: MemoryRevocations) -> None:
        self._db = connection
        self._cache = cache
        self._lock = threading.Lock()  # refresh runs on a worker thread
        self._seen_version = self._data_version()

    @classmethod
    def open(cls, path: str | Path) -> Self:
        """Open (or create, 0600) the revocations in ``path``."""
        db = connect_private(path, _SCHEMA, _COMPONENT, _SCHEMA_VERSION)
        try:
            cache = _read_all(db)
        except BaseException:
            db.close()
            raise
        return cls(db, cache)

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    def refresh(self) -> bool:
        """Read the file again if another connection has written it; whether it had.

        Blocking (a few small queries): call it from a worker thread. ``PRAGMA data_version``
        changes only when another connection commits (sqlite.org/pragma.html#pragma_data_version),
        so an idle check costs one pragma.
        """
        with self._lock:
            version = self._data_version()
            if version == self._seen_version:
                return False
            # One assignment swaps the copy: a check on the loop sees the old or the new one.
            self._cache, self._seen_version = _read_all(self._db), version
        return True

    # Write, then change the copy, both under the lock: a refresh reading the file in between
    # would swap in a copy without this revocation, and our own write never makes another.

    def revoke_token(self, jti: str, expires_at: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO revoked_tokens VALUES (?, ?) ON CONFLICT(jti) DO UPDATE "
                "SET expires_at = max(expires_at, excluded.expires_at)",
                (jti, expires_at),
            )
            self._cache.revoke_token(jti, expires_at)

    def revoke_subject(self, subject: str, issued_until: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO revoked_subjects VALUES (?, ?) ON CONFLICT(subject) DO UPDATE "
                "SET issued_until = max(issued_until, excluded.issued_until)",
                (subject, issued_until),
            )
            self._cache.revoke_subject(subject, issued_until)

    def is_revoked(self, *, jti: str, subject: str, issued_at: float) -> bool:
        return self._cache.is_revoked(jti=jti, subject=subject, issued_at=issued_at)

    def purge(self, now: float) -> int:
        with self._lock:
            sql = "DELETE FROM revoked_tokens WHERE expires_at < ?"
            gone = self._db.execute(sql, (now,)).rowcount
            self._cache.purge(now)
        return gone

    def _data_version(self) -> int:
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])


def _read_all(db: sqlite3.Connection) -> MemoryRevocations:
    return MemoryRevocations(
        tokens=dict(db.execute("SELECT jti, expires_at FROM revoked_tokens")),
        subjects=dict(db.execute("SELECT subject, issued_until FROM revoked_subjects")),
    )
