"""The token registry: every token issued, by ``jti``, so that it can be listed and revoked.

A record keeps the claims a list needs (subject, audience, scopes, times) and an operator's
label, never the token itself: the text is a bearer secret (RFC 8725 section 3.12), and a
leaked registry must not let anyone in. Revoking marks the record; the refusal itself comes
from :mod:`cloudping.auth.revocations`, which every check reads.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, Self, cast

from cloudping.auth.dbfile import connect_private
from cloudping.auth.principal import Audience, Scope, format_scope, parse_scope

REGISTRY_FILE = "tokens.db"  # in the data directory
MAX_LABEL = 200  # characters: a reminder ("laptop", "fra1's agent"), not a document
TokenState = Literal["active", "expired", "revoked"]

_COMPONENT = "token registry"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS issued_tokens (
    jti TEXT PRIMARY KEY,
    subject TEXT NOT NULL,
    audience TEXT NOT NULL,
    scope TEXT NOT NULL,
    issued_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    label TEXT NOT NULL,
    revoked_at REAL
);
CREATE INDEX IF NOT EXISTS issued_tokens_subject ON issued_tokens (subject);
"""
_SELECT = (
    "SELECT jti, subject, audience, scope, issued_at, expires_at, label, revoked_at "
    "FROM issued_tokens "
)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """One issued token as the registry keeps it (times are POSIX seconds)."""

    jti: str
    subject: str
    audience: Audience
    scopes: frozenset[Scope]
    issued_at: float
    expires_at: float
    label: str = ""
    revoked_at: float | None = None

    def __post_init__(self) -> None:
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"a label is at most {MAX_LABEL} characters")

    def state(self, now: float) -> TokenState:
        """``revoked`` (whatever its expiry), else ``expired`` or ``active`` at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"

    def to_json(self, now: float) -> dict[str, Any]:
        """The record as the API and ``token list --json`` show it (``id`` is the ``jti``)."""
        return {
            "id": self.jti,
            "subject": self.subject,
            "audience": self.audience,
            "scopes": format_scope(self.scopes).split(),
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "label": self.label,
            "revoked_at": self.revoked_at,
            "state": self.state(now),
        }


class TokenRegistry(Protocol):
    """Where issued tokens are recorded. Blocking calls: run them off the event loop."""

    def record(self, token: TokenRecord) -> None:
        """Record a newly issued token."""
        ...

    def get(self, jti: str) -> TokenRecord | None:
        """The record of ``jti``, if it was issued here."""
        ...

    def list(self, subject: str | None = None) -> tuple[TokenRecord, ...]:
        """Every record (of ``subject`` when given), oldest first."""
        ...

    def mark_revoked(self, jti: str, now: float) -> TokenRecord | None:
        """Note that ``jti`` was revoked at ``now`` (the first time counts); its record."""
        ...


@dataclass
class MemoryTokenRegistry:
    """The registry in memory: the twin for tests."""

    tokens: dict[str, TokenRecord] = field(default_factory=dict)

    def record(self, token: TokenRecord) -> None:
        self.tokens[token.jti] = token

    def get(self, jti: str) -> TokenRecord | None:
        return self.tokens.get(jti)

    def list(self, subject: str | None = None) -> tuple[TokenRecord, ...]:
        found = (t for t in self.tokens.values() if subject is None or t.subject == subject)
        return tuple(sorted(found, key=lambda t: (t.issued_at, t.jti)))

    def mark_revoked(self, jti: str, now: float) -> TokenRecord | None:
        token = self.tokens.get(jti)
        if token is not None and token.revoked_at is None:
            token = self.tokens[jti] = replace(token, revoked_at=now)
        return token


class SqliteTokenRegistry:
    """The registry in a SQLite file of the data directory (0600)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path) -> Self:
        """Open (or create) the registry in ``path``."""
        return cls(connect_private(path, _SCHEMA, _COMPONENT, _SCHEMA_VERSION))

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    def record(self, token: TokenRecord) -> None:
        row = (token.jti, token.subject, token.audience, format_scope(token.scopes))
        with self._lock:
            self._db.execute(
                "INSERT INTO issued_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*row, token.issued_at, token.expires_at, token.label, token.revoked_at),
            )

    def get(self, jti: str) -> TokenRecord | None:
        with self._lock:
            row = self._db.execute(_SELECT + "WHERE jti = ?", (jti,)).fetchone()
        return None if row is None else _record(row)

    def list(self, subject: str | None = None) -> tuple[TokenRecord, ...]:
        where = "WHERE ?1 IS NULL OR subject = ?1 ORDER BY issued_at, jti"
        with self._lock:
            rows = self._db.execute(_SELECT + where, (subject,)).fetchall()
        return tuple(_record(row) for row in rows)

    def mark_revoked(self, jti: str, now: float) -> TokenRecord | None:
        with self._lock:
            self._db.execute(
                "UPDATE issued_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL",
                (now, jti),
            )
        return self.get(jti)


def _record(row: tuple[Any, ...]) -> TokenRecord:
    jti, subject, audience, scope, issued_at, expires_at, label, revoked_at = row
    return TokenRecord(
        jti=jti,
        subject=subject,
        audience=cast(Audience, audience),
        scopes=parse_scope(scope),
        issued_at=issued_at,
        expires_at=expires_at,
        label=label,
        revoked_at=revoked_at,
    )
