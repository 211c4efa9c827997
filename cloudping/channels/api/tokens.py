"""``/api/v1/tokens``: a caller's own API tokens, listed, issued and revoked.

A caller with a token (audience ``api``) acts on its own subject's tokens: it lists them,
issues itself a new one with at most its own scopes and a bounded lifetime, and revokes its
own by id. An ``admin`` may act on any subject's (``?subject=``, ``"subject"``), agents'
tokens included (their subject is the agent's name, which a user may share). Telegram's
``/token`` and the web page build on these. Registry calls touch a SQLite file, so they run
on a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.auth import DEFAULT_TTL, MAX_LABEL, SCOPES, AuthError, Scope, TokenRecord
from cloudping.channels.api.context import Api, api_of
from cloudping.channels.api.errors import bad_request
from cloudping.channels.api.measurements import json_body
from cloudping.errors import CloudpingError
from cloudping.service import Caller

MAX_TTL_S = 90 * 86_400  # a personal token expires; an operator issues longer ones by hand
_BODY_KEYS = frozenset({"scopes", "ttl_s", "label", "subject"})


async def list_tokens(request: Request) -> Response:
    """``GET /tokens[?subject=S]``: the tokens of the caller's subject (or of S, for admins)."""
    api, caller = _signed_in(request)
    subject = _subject(caller, request.query_params.get("subject"))
    records = await asyncio.to_thread(api.tokens.registry.list, subject)
    now = api.settings.clock()
    tokens = [record.to_json(now) for record in records if _visible(caller, record)]
    return JSONResponse({"tokens": tokens})


async def issue_token(request: Request) -> Response:
    """``POST /tokens``: a new API token for the caller (201 with the token, once)."""
    api, caller = _signed_in(request)
    body = await json_body(request)
    unknown = sorted(set(body) - _BODY_KEYS)
    if unknown:
        raise bad_request(f"unknown field {unknown[0]!r}", field=unknown[0])
    subject = _subject(caller, _optional_text(body, "subject"))
    scopes = _scopes(caller, body.get("scopes", sorted(caller.scopes)))
    ttl = _ttl(body.get("ttl_s", DEFAULT_TTL))
    label = _optional_text(body, "label") or ""
    if len(label) > MAX_LABEL:
        raise bad_request(f"label is at most {MAX_LABEL} characters", field="label")
    now = api.settings.clock()

    def issue() -> tuple[str, TokenRecord | None]:
        token = api.tokens.issue(subject, "api", scopes=scopes, ttl=ttl, now=now, label=label)
        return token, api.tokens.registry.get(api.tokens.token_id(token))

    token, record = await asyncio.to_thread(issue)
    assert record is not None  # issue() records every token it makes
    return JSONResponse({"token": token, **record.to_json(now)}, status_code=201)


async def revoke_token(request: Request) -> Response:
    """``DELETE /tokens/{id}``: revoke one of the caller's tokens (any, for admins)."""
    api, caller = _signed_in(request)
    jti = request.path_params["id"]
    record = await asyncio.to_thread(api.tokens.registry.get, jti)
    if record is None or not _visible(caller, record) or not caller.may_read(record.subject):
        raise CloudpingError(f"no token {jti!r} of yours", code="not_found", id=jti)
    now = api.settings.clock()
    revoked = await asyncio.to_thread(api.tokens.revoke, jti, now)
    return JSONResponse((revoked or record).to_json(now))


def _signed_in(request: Request) -> tuple[Api, Caller]:
    """The API and a caller who came with a token: a guest has no tokens to manage."""
    api = api_of(request)
    caller = api.caller(request)
    if caller.guest:
        raise AuthError("managing tokens needs a token", code="token_missing")
    return api, caller


def _visible(caller: Caller, record: TokenRecord) -> bool:
    """Users see their API tokens; admins see agents' tokens as well."""
    return record.audience == "api" or "admin" in caller.scopes


def _subject(caller: Caller, asked: str | None) -> str:
    """The subject to act on: the caller's own, or any an admin names."""
    if asked is None or asked == caller.subject:
        return caller.subject
    caller.require("admin")
    return asked


def _scopes(caller: Caller, asked: Any) -> tuple[Scope, ...]:
    """The scopes asked for, each one the caller holds (admins hold every one)."""
    if not isinstance(asked, list) or not all(isinstance(s, str) for s in asked):
        raise bad_request('"scopes" must be a list of scope names', field="scopes")
    for scope in asked:
        if scope not in SCOPES:
            raise bad_request(f"unknown scope {scope!r}", field="scopes", scope=scope)
        caller.require(scope)  # no token gives more than its holder has
    return tuple(scope for scope in SCOPES if scope in asked)


def _ttl(asked: Any) -> int:
    if isinstance(asked, bool) or not isinstance(asked, int) or not 0 < asked <= MAX_TTL_S:
        raise bad_request(f'"ttl_s" must be 1 to {MAX_TTL_S} seconds', field="ttl_s")
    return asked


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise bad_request(f'"{key}" must be a non-empty string', field=key)
    return value
