"""``GET /auth/jwks.json``: the hub's public signing keys, so others can verify its tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.context import api_of

JWKS_PATH = "/auth/jwks.json"
CACHE_S = 300  # a verifier may keep the set this long; a new key is added before it signs


async def jwks(request: Request) -> Response:
    """The JWK Set (RFC 7517): public Ed25519 keys with their key ids, never a private part."""
    keys = api_of(request).tokens.jwks()
    return JSONResponse(keys, headers={"Cache-Control": f"public, max-age={CACHE_S}"})
