"""What the hub's OAuth authorization server keeps across restarts: the MCP clients that
registered themselves (RFC 7591), the refresh tokens it handed out, and which client each
access token went to (a client may revoke only its own, RFC 7009 section 2.1).

A refresh token is kept only as its SHA-256 (a stolen file gives no working token). Calls
are blocking SQLite: callers run them on a worker thread.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from cloudping.auth.dbfile import connect_private

OAUTH_FILE = "oauth.sqlite"
MAX_CLIENTS = 10_000  # dynamic registration is open: a bound, not a quota per caller
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY,
    registered_at REAL NOT NULL,
    info TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    digest TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_subject ON refresh_tokens (subject);
CREATE TABLE IF NOT EXISTS access_tokens (
    jti TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class RefreshGrant:
    """What a refresh token stands for."""

    client_id: str
    subject: str
    scopes: tuple[str, ...]
    expires_at: float


class OAuthStore:
    """The clients and refresh tokens of one hub, in ``DATA_DIR/oauth.sqlite``."""

    def __init__(self, path: str | Path) -> None:
        self._db = connect_private(path, _SCHEMA, "oauth", _SCHEMA_VERSION)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def client(self, client_id: str) -> str | None:
        """The registration of ``client_id`` as JSON text, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT info FROM clients WHERE client_id = ?", (client_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def add_client(self, client_id: str, info: str, now: float) -> bool:
        """Keep a registration; False when the hub holds :data:`MAX_CLIENTS` already."""
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM clients").fetchone()
            if count >= MAX_CLIENTS:
                return False
            self._db.execute("INSERT INTO clients VALUES (?, ?, ?)", (client_id, now, info))
        return True

    def add_access(self, jti: str, client_id: str, expires_at: float, now: float) -> None:
        """Remember which client an access token (by ``jti``) was issued to, and forget
        those that have expired."""
        with self._lock:
            self._db.execute("DELETE FROM access_tokens WHERE expires_at <= ?", (now,))
            self._db.execute(
                "INSERT INTO access_tokens VALUES (?, ?, ?)", (jti, client_id, expires_at)
            )

    def access_client(self, jti: str) -> str | None:
        """The client an access token was issued to; None for tokens made otherwise."""
        with self._lock:
            row = self._db.execute(
                "SELECT client_id FROM access_tokens WHERE jti = ?", (jti,)
            ).fetchone()
        return None if row is None else str(row[0])

    def add_refresh(self, token: str, grant: RefreshGrant) -> None:
        """Keep a refresh token (as its digest)."""
        row = (_digest(token), grant.client_id, grant.subject, " ".join(grant.scopes))
        with self._lock:
            self._db.execute(
                "INSERT INTO refresh_tokens VALUES (?, ?, ?, ?, ?)", (*row, grant.expires_at)
            )

    def refresh(self, token: str, now: float) -> RefreshGrant | None:
        """What ``token`` stands for, or None when unknown or expired."""
        with self._lock:
            row = self._db.execute(
                "SELECT client_id, subject, scope, expires_at FROM refresh_tokens "
                "WHERE digest = ? AND expires_at > ?",
                (_digest(token), now),
            ).fetchone()
        if row is None:
            return None
        client_id, subject, scope, expires_at = row
        return RefreshGrant(client_id, subject, tuple(scope.split()), expires_at)

    def drop_refresh(self, token: str) -> bool:
        """Forget a refresh token (used, or revoked); whether it was known."""
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM refresh_tokens WHERE digest = ?", (_digest(token),)
            )
        return cursor.rowcount > 0


def client_json(info: dict[str, object]) -> str:
    """A registration as stored."""
    return json.dumps(info, separators=(",", ":"), sort_keys=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
