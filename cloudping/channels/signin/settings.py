"""Sign-in settings: the providers (``[[login.provider]]`` tables of the settings file) and
what a signed-in person may do (``[login]`` keys).

Example::

    [login]
    session_hours = 12
    grant = ["github:583231=measure,private"]   # per subject, beyond the provider's scopes
    block = ["oidc-corp:7f3a"]                  # never signed in

    [[login.provider]]
    name = "corp"                               # /auth/login/corp; principal oidc-corp:<sub>
    kind = "oidc"                               # github | google | entra | oidc
    issuer = "https://id.example.com"           # discovery; entra: .../<tenant>/v2.0
    client_id = "cloudping"
    client_secret_file = "/etc/cloudping/corp.secret"
    scopes = ["measure"]                        # what a person signed in through it may do
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from cloudping.auth import SCOPES, Scope

ProviderKind = Literal["github", "google", "entra", "oidc"]
KINDS: tuple[ProviderKind, ...] = get_args(ProviderKind)
GOOGLE_ISSUER = "https://accounts.google.com"
GITHUB_AUTHORIZE = "https://github.com/login/oauth/authorize"
GITHUB_EXCHANGE = "https://github.com/login/oauth/access_token"
GITHUB_API = "https://api.github.com"
DEFAULT_SESSION_HOURS = 12.0
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_PROVIDER_KEYS = frozenset(
    {
        "name",
        "kind",
        "label",
        "issuer",
        "client_id",
        "client_secret_file",
        "scopes",
        # Endpoint overrides (tests, or a provider whose discovery is incomplete):
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "api_url",
    }
)
_LOGIN_KEYS = frozenset({"provider", "session_hours", "grant", "block"})


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One way to sign in.

    Attributes:
        name: the provider's name in URLs (``/auth/login/NAME``) and ``oidc-NAME:`` subjects.
        kind: ``github`` (OAuth 2.0 and its user API), ``google``, ``entra`` or ``oidc``
            (OpenID Connect with discovery).
        label: what the sign-in page shows.
        client_id, client_secret_file: the client registered with the provider (the secret
            is read from the file when the hub starts; never inline).
        issuer: the OpenID issuer (discovery at ``ISSUER/.well-known/openid-configuration``).
        scopes: what a person signed in through this provider may do.
        endpoints: overrides of discovered endpoints (and GitHub's ``api_url``).
    """

    name: str
    kind: ProviderKind
    label: str
    client_id: str
    client_secret_file: Path
    issuer: str | None = None
    scopes: frozenset[Scope] = frozenset({"measure"})
    endpoints: Mapping[str, str] = field(default_factory=dict)

    def principal(self, claim: str) -> str:
        """The principal of a person this provider names by ``claim`` (design.md's names)."""
        prefix = f"oidc-{self.name}" if self.kind == "oidc" else self.kind
        return f"{prefix}:{claim}"


@dataclass(frozen=True, slots=True)
class LoginSettings:
    """How people sign in.

    Attributes:
        providers: the ways to sign in, in the order the sign-in page lists them.
        session_s: how long a session lasts.
        grants: scopes given to a subject beyond its provider's.
        blocked: subjects that are never signed in.
    """

    providers: tuple[ProviderConfig, ...]
    session_s: int = int(DEFAULT_SESSION_HOURS * 3600)
    grants: Mapping[str, frozenset[Scope]] = field(default_factory=dict)
    blocked: frozenset[str] = frozenset()

    def provider(self, name: str) -> ProviderConfig | None:
        """The provider called ``name``."""
        return next((p for p in self.providers if p.name == name), None)

    def scopes_of(self, provider: ProviderConfig, subject: str) -> frozenset[Scope] | None:
        """What ``subject`` signed in through ``provider`` may do; None when it is blocked."""
        if subject in self.blocked:
            return None
        return provider.scopes | self.grants.get(subject, frozenset())


def login_settings(table: Mapping[str, Any]) -> LoginSettings:
    """The ``[login]`` table of the settings file, checked.

    Raises:
        ValueError: an unknown key, a wrong type or a missing value, naming the key.
    """
    _no_unknown(table, _LOGIN_KEYS, "login")
    providers = tuple(
        _provider(entry, index) for index, entry in enumerate(_list(table, "provider", "login"))
    )
    names = [p.name for p in providers]
    if len(set(names)) != len(names):
        raise ValueError("login.provider: two providers have the same name")
    hours = table.get("session_hours", DEFAULT_SESSION_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= 24 * 30:
        raise ValueError("login.session_hours must be a number of hours, above 0, at most 720")
    grants: dict[str, frozenset[Scope]] = {}
    for entry in _list(table, "grant", "login"):
        subject, sep, words = str(entry).partition("=")
        if not sep or not subject:
            raise ValueError(f"login.grant: {entry!r} is not SUBJECT=SCOPE[,SCOPE...]")
        grants[subject] = _scopes(words.split(","), "login.grant")
    blocked = frozenset(str(s) for s in _list(table, "block", "login"))
    return LoginSettings(providers, int(hours * 3600), grants, blocked)


def _provider(entry: Any, index: int) -> ProviderConfig:
    where = f"login.provider[{index}]"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where} must be a table")
    _no_unknown(entry, _PROVIDER_KEYS, where)
    name = _text(entry, "name", where)
    if not _NAME.fullmatch(name):
        raise ValueError(f"{where}.name {name!r}: use a-z, 0-9 and '-' (at most 32)")
    kind = _text(entry, "kind", where)
    if kind not in KINDS:
        raise ValueError(f"{where}.kind {kind!r} is not one of {', '.join(KINDS)}")
    issuer = entry.get("issuer")
    if kind == "google":
        issuer = issuer or GOOGLE_ISSUER
    if kind in ("oidc", "entra") and not issuer:
        raise ValueError(f"{where}.issuer is required for kind {kind!r}")
    if issuer is not None and not str(issuer).startswith(("https://", "http://")):
        raise ValueError(f"{where}.issuer must be an http(s) URL")
    endpoints = {
        key: _text(entry, key, where)
        for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
        if key in entry
    }
    if "api_url" in entry:
        endpoints["api_url"] = _text(entry, "api_url", where)
    scopes = _scopes(entry.get("scopes", ["measure"]), f"{where}.scopes")
    return ProviderConfig(
        name=name,
        kind=kind,
        label=str(entry.get("label") or name),
        client_id=_text(entry, "client_id", where),
        client_secret_file=Path(_text(entry, "client_secret_file", where)),
        issuer=None if issuer is None else str(issuer).rstrip("/"),
        scopes=scopes,
        endpoints=endpoints,
    )


def _scopes(words: Any, where: str) -> frozenset[Scope]:
    if not isinstance(words, Sequence) or isinstance(words, str):
        raise ValueError(f"{where} must be a list of scopes")
    found: set[Scope] = set()
    for word in (str(w).strip() for w in words):
        if word not in SCOPES:
            raise ValueError(f"{where}: unknown scope {word!r} (known: {', '.join(SCOPES)})")
        found.add(word)
    return frozenset(found)


def _no_unknown(table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r}")


def _list(table: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{where}.{key} must be a list")
    return value


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}.{key} must be a non-empty string")
    return value
