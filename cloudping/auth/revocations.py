"""Revoked tokens: by ``jti`` (one token) and by subject (every token issued until a time).

A check runs on every request, so both implementations answer it from memory; the SQLite one
writes each revocation through to disk and reads them all back when it opens. The list stays
small: a revoked ``jti`` is forgotten once the token would have expired anyway.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Self

from cloudping.errors import CloudpingError

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


@dataclass
class MemoryRevocations:
    """Revocations in memory: the twin for tests, and the cache of :class:`SqliteRevocations`."""

    tokens: dict[str, float] = field(default_factory=dict)
    subjects: dict[str, float] = field(default_factory=dict)

    def revoke_token(self, jti: str, expires_at: float) -> None:
        self.tokens[jti] = max(expires_at, self.tokens.get(jti, expires_at))

    def revoke_subject(self, subject: str, issued_until: float) -> None:
        self.subjects[subject] = max(issued_until, self.subjects.get(subject, issued_until))

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
    on the disk. Several hubs sharing revocations need a shared backend behind the same
    Protocol (PostgreSQL or Redis), since this copy only sees its own writes.
    """

    def __init__(self, connection: sqlite3.Connection, cache: MemoryRevocations) -> None:
        self._db = connection
        self._cache = cache

    @classmethod
    def open(cls, path: str | Path) -> Self:
        """Open (or create) the revocations in ``path``."""
        db = sqlite3.connect(path, isolation_level=None)  # autocommit; explicit transactions
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)  # idempotent, so two processes opening at once agree
            _check_version(db)
            cache = MemoryRevocations(
                tokens=dict(db.execute("SELECT jti, expires_at FROM revoked_tokens")),
                subjects=dict(db.execute("SELECT subject, issued_until FROM revoked_subjects")),
            )
        except BaseException:
            db.close()
            raise
        return cls(db, cache)

    def close(self) -> None:
        """Close the database file."""
        self._db.close()

    def revoke_token(self, jti: str, expires_at: float) -> None:
        self._cache.revoke_token(jti, expires_at)
        self._db.execute(
            "INSERT INTO revoked_tokens VALUES (?, ?) ON CONFLICT(jti) DO UPDATE "
            "SET expires_at = max(expires_at, excluded.expires_at)",
            (jti, expires_at),
        )

    def revoke_subject(self, subject: str, issued_until: float) -> None:
        self._cache.revoke_subject(subject, issued_until)
        self._db.execute(
            "INSERT INTO revoked_subjects VALUES (?, ?) ON CONFLICT(subject) DO UPDATE "
            "SET issued_until = max(issued_until, excluded.issued_until)",
            (subject, issued_until),
        )

    def is_revoked(self, *, jti: str, subject: str, issued_at: float) -> bool:
        return self._cache.is_revoked(jti=jti, subject=subject, issued_at=issued_at)

    def purge(self, now: float) -> int:
        self._cache.purge(now)
        return self._db.execute("DELETE FROM revoked_tokens WHERE expires_at < ?", (now,)).rowcount


def _check_version(db: sqlite3.Connection) -> None:
    """Record the schema version on a new file; refuse a file from a newer cloudping."""
    db.execute("INSERT OR IGNORE INTO schema_version VALUES (?, ?)", (_COMPONENT, _SCHEMA_VERSION))
    (version,) = db.execute(
        "SELECT version FROM schema_version WHERE component = ?", (_COMPONENT,)
    ).fetchone()
    if version > _SCHEMA_VERSION:
        raise CloudpingError(
            f"the revocations in this file have schema version {version}, newer than this "
            f"cloudping's ({_SCHEMA_VERSION}): upgrade cloudping",
            code="state_too_new",
        )
