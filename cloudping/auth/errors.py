"""The errors of authentication: one class, stable codes, never the token in the message."""

from __future__ import annotations

from typing import Any, Literal

from cloudping.errors import CloudpingError

AuthCode = Literal[
    "token_missing",
    "token_invalid",
    "token_expired",
    "token_wrong_audience",
    "token_revoked",
    "scope_missing",
    "cross_site_request",
]

# RFC 6750 section 3.1: a bad or missing token is 401, a token without the scope is 403.
# A session cookie sent by a page of another origin with a state-changing request is 403.
_HTTP_STATUS: dict[str, int] = {"scope_missing": 403, "cross_site_request": 403}


class AuthError(CloudpingError):
    """A request whose credentials do not let it through.

    The message says what is wrong with the token, never what the token is: messages reach
    logs and API answers (RFC 8725 section 3.12 treats tokens as secrets).

    Args:
        message: what is wrong, in one sentence.
        code: one of :data:`AuthCode`.
        fields: extra details (the expected audience, the missing scope, ...).
    """

    code = "token_invalid"

    def __init__(self, message: str, *, code: AuthCode, **fields: Any) -> None:
        super().__init__(message, code=code, **fields)

    @property
    def http_status(self) -> int:
        """The HTTP status an API answers this error with (401, or 403 for a missing scope)."""
        return _HTTP_STATUS.get(self.code, 401)


class KeyStoreError(CloudpingError):
    """The signing keys in the data directory cannot be used (unreadable, unsafe, corrupt)."""

    code = "signing_key_unusable"
