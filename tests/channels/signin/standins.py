"""Local stand-ins for the sign-in providers that cannot run here, each following its
documented behaviour: an OpenID Connect provider as Google and Microsoft Entra ID answer
(discovery, authorization code with PKCE, RS256 ID tokens, JWKS, userinfo; Entra names a
person by ``oid``, a per-tenant issuer ``.../<tenant>/v2.0``), and GitHub's OAuth app flow
(``/login/oauth/authorize``, ``/login/oauth/access_token`` answering errors with status 200
in the body, ``GET /user`` with a numeric ``id``).

``mode`` makes the OpenID stand-in misbehave as an attacker or a broken provider would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from cloudping.serve.tcp import bind_tcp

Mode = Literal[
    "good", "wrong_audience", "wrong_nonce", "expired", "hs256", "foreign_key", "wrong_issuer"
]
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
CLIENT_ID, CLIENT_SECRET = "lab-app", "lab-app-secret"


@dataclass
class Grant:
    """An authorization code waiting at the stand-in."""

    redirect_uri: str
    challenge: str
    nonce: str | None
    login: str


@dataclass
class Standin:
    """The stand-ins' state: codes, tokens, and how the OpenID side behaves."""

    base: str = ""
    tenant: str | None = None  # Entra: a per-tenant issuer, people named by oid
    mode: Mode = "good"
    login: str = "dana"
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> login
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    @property
    def issuer(self) -> str:
        return f"{self.base}/{self.tenant}/v2.0" if self.tenant else self.base

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
                Route("/userinfo", self.userinfo),
                Route("/login/oauth/authorize", self.authorize),
                Route("/login/oauth/access_token", self.github_token, methods=["POST"]),
                Route("/user", self.github_user),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        if request.path_params.get("tenant") != self.tenant:
            return JSONResponse({"error": "invalid_tenant"}, status_code=400)
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token",
                "userinfo_endpoint": f"{self.base}/userinfo",
                "jwks_uri": f"{self.base}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(
            query["redirect_uri"], query["code_challenge"], query.get("nonce"), self.login
        )
        back = urlencode({"code": code, "state": query["state"]})
        return RedirectResponse(f"{query['redirect_uri']}?{back}", status_code=302)

    def _redeem(self, form: Any, request: Request) -> Grant | None:
        """The grant of a code, once, when the client and PKCE verifier are right."""
        grant = self.codes.pop(str(form.get("code")), None)
        basic = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        posted = form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET
        if grant is None or not (basic == f"Basic {expected}" or posted):
            return None
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if challenge != grant.challenge or form.get("redirect_uri") != grant.redirect_uri:
            return None
        return grant

    async def token(self, request: Request) -> Response:
        form = await request.form()
        grant = self._redeem(form, request)
        if grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant.login
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": self._id_token(grant),
            }
        )

    def _id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": f"sub-{grant.login}",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "nonce": grant.nonce,
            "name": f"Person {grant.login}",
            "email": f"{grant.login}@lab.example",
        }
        if self.tenant:
            claims["oid"] = f"oid-{grant.login}"
            claims["tid"] = self.tenant
        headers = {"kid": "lab"}
        key: Any = self.key
        algorithm = "RS256"
        match self.mode:
            case "wrong_audience":
                claims["aud"] = "someone-else"
            case "wrong_nonce":
                claims["nonce"] = "another-sign-in"
            case "expired":
                claims["iat"], claims["exp"] = now - 7200, now - 3600
            case "wrong_issuer":
                claims["iss"] = "https://evil.example"
            case "hs256":
                # The client secret as the HMAC key: what a confused verifier would accept.
                key, algorithm = CLIENT_SECRET * 4, "HS256"
            case "foreign_key":
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            case "good":
                pass
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)

    async def jwks(self, _: Request) -> Response:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**public, "kid": "lab", "use": "sig", "alg": "RS256"}]})

    async def userinfo(self, request: Request) -> Response:
        login = self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if login is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"sub": f"sub-{login}", "name": f"Person {login}"})

    async def github_token(self, request: Request) -> Response:
        form = await request.form()
        grant = self._redeem(form, request)
        if grant is None:  # GitHub answers 200 with the error in the body
            error = {"error": "bad_verification_code", "error_description": "incorrect"}
            return JSONResponse(error)
        access = f"gho_{secrets.token_urlsafe(16)}"
        self.tokens[access] = grant.login
        return JSONResponse({"access_token": access, "token_type": "bearer", "scope": "read:user"})

    async def github_user(self, request: Request) -> Response:
        login = self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if login is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        number = 583231 if login == "octocat" else 1000 + len(login)
        return JSONResponse({"id": number, "login": login, "name": None, "email": None})


@asynccontextmanager
async def running(standin: Standin) -> AsyncIterator[str]:
    """Serve the stand-ins on 127.0.0.1; yields their base URL (the socket listens before
    uvicorn starts, so connections wait in its backlog: no need to wait for it)."""
    sock = bind_tcp("127.0.0.1", 0)
    standin.base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(standin.app(), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield standin.base
    finally:
        server.should_exit = True
        await task
        sock.close()
