"""The admin token of ``cloudping up``: one per data directory, kept in a 0600 file.

It is reused across restarts while it holds, so a restart neither invalidates what the
operator pasted elsewhere nor leaves one more valid admin token behind each time; a new one is
made when asked (``--new-admin-token``, which revokes the old one) or when the stored one no
longer holds (expired, revoked, signed by a key or for an issuer this hub no longer has), and
the banner says why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cloudping.auth import DEFAULT_TTL, AuthError, Principal, Scope, TokenService

ADMIN_TOKEN_FILE = "admin.token"  # noqa: S105 (a file name in the data directory)
ADMIN_SUBJECT = "admin"
ADMIN_SCOPES: tuple[Scope, ...] = ("measure", "private", "admin")
ADMIN_LABEL = "cloudping up"
# A token this close to its end is replaced at start: it would lapse while `up` runs.
RENEW_BEFORE_S = 86_400


@dataclass(frozen=True, slots=True)
class AdminToken:
    """The admin token in use.

    Attributes:
        token: the bearer token.
        jti: its id, for ``cloudping token revoke``.
        path: the file that keeps it.
        expires_at: POSIX seconds.
        made_because: why it was made at this start; ``None`` when the stored one was reused.
    """

    token: str
    jti: str
    path: Path
    expires_at: float
    made_because: str | None


def admin_token(tokens: TokenService, data_dir: Path, now: float, *, renew: bool) -> AdminToken:
    """The data directory's admin token: the stored one while it holds, else a new one.

    Args:
        tokens: the data directory's token service (a new token is recorded in its registry).
        data_dir: where :data:`ADMIN_TOKEN_FILE` lives.
        now: POSIX seconds.
        renew: make a new one even if the stored one holds, and revoke the stored one.
    """
    path = data_dir / ADMIN_TOKEN_FILE
    stored = path.read_text().strip() if path.exists() else None
    if stored is None:
        reason = "none was stored yet"
    else:
        principal, reason = _check(tokens, stored, now)
        if principal is not None and renew:
            tokens.revoke(principal.token_id, now)
            reason = "asked for with --new-admin-token; the old one is revoked"
        elif principal is not None:
            return AdminToken(stored, principal.token_id, path, principal.expires_at, None)
    token = tokens.issue(
        ADMIN_SUBJECT, "api", scopes=ADMIN_SCOPES, ttl=DEFAULT_TTL, now=now, label=ADMIN_LABEL
    )
    _write_private(path, token)
    return AdminToken(token, tokens.token_id(token), path, int(now) + DEFAULT_TTL, reason)


def _check(tokens: TokenService, token: str, now: float) -> tuple[Principal | None, str]:
    """The stored token's principal when it still serves as the admin token, else why not."""
    try:
        principal = tokens.verify(token, "api", now)
    except AuthError as exc:
        return None, f"the stored one no longer holds: {exc.message}"
    if principal.subject != ADMIN_SUBJECT or not set(ADMIN_SCOPES) <= principal.scopes:
        return None, "the stored one is not an admin token"
    if principal.expires_at - now < RENEW_BEFORE_S:
        return None, "the stored one expires within a day"
    return principal, ""


def _write_private(path: Path, token: str) -> None:
    """Write ``token`` to ``path``, readable by this user only, replacing it whole."""
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)  # left by a crash, maybe with looser permissions
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(token + "\n")
    os.replace(partial, path)
