"""Authentication: Ed25519-signed JWTs with key ids, a JWKS, scopes and revocation.

The hub builds one :class:`TokenService` from the keys of its data directory
(:meth:`KeyDirectory.load`), its issuer URL, a :class:`Revocations` store and a
:class:`TokenRegistry` of what it issued, then calls
:meth:`TokenService.verify` on every request and agent hello. Failures are
:class:`AuthError` with a stable code.
"""

from cloudping.auth.datadir import data_dir_tokens
from cloudping.auth.errors import AuthCode, AuthError, KeyStoreError
from cloudping.auth.keys import ALGORITHM, KeyDirectory, KeyRing, SigningKey, thumbprint
from cloudping.auth.principal import AUDIENCES, SCOPES, Audience, Principal, Scope
from cloudping.auth.registry import (
    MAX_LABEL,
    REGISTRY_FILE,
    MemoryTokenRegistry,
    SqliteTokenRegistry,
    TokenRecord,
    TokenRegistry,
    TokenState,
)
from cloudping.auth.revocations import (
    REVOCATIONS_FILE,
    MemoryRevocations,
    Revocations,
    SqliteRevocations,
)
from cloudping.auth.tokens import (
    DEFAULT_ISSUER,
    DEFAULT_LEEWAY,
    DEFAULT_TTL,
    MAX_TTL,
    TokenService,
    bearer_token,
)

__all__ = [
    "ALGORITHM",
    "AUDIENCES",
    "DEFAULT_ISSUER",
    "DEFAULT_LEEWAY",
    "DEFAULT_TTL",
    "MAX_LABEL",
    "MAX_TTL",
    "REGISTRY_FILE",
    "REVOCATIONS_FILE",
    "SCOPES",
    "Audience",
    "AuthCode",
    "AuthError",
    "KeyDirectory",
    "KeyRing",
    "KeyStoreError",
    "MemoryRevocations",
    "MemoryTokenRegistry",
    "Principal",
    "Revocations",
    "Scope",
    "SigningKey",
    "SqliteRevocations",
    "SqliteTokenRegistry",
    "TokenRecord",
    "TokenRegistry",
    "TokenService",
    "TokenState",
    "bearer_token",
    "data_dir_tokens",
    "thumbprint",
]
