"""Sign-in as a channel of the hub process: the ``/auth/`` routes, sessions, and the OAuth
authorization server for MCP clients.

``GET /auth/login`` lists the providers; ``GET /auth/login/NAME`` starts one (authorization
code with PKCE, a single-use ``state`` bound to this browser by a short cookie, a ``nonce``);
the provider returns to ``/auth/login/NAME/callback``, where the person becomes a principal
(``github:<id>``, ``oidc-corp:<sub>``, ...) with their scopes, and gets a session cookie:
HttpOnly, SameSite=Lax, Secure unless the hub is on loopback over http, signed by the hub's
token service (audience ``session``), revocable. ``POST /auth/logout`` ends it (``?everywhere=1``:
every session of the person). ``GET /auth/session`` says who is signed in, for the page.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mcp.server.auth.routes import create_auth_routes, create_protected_resource_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cloudping.auth import SCOPES, AuthError, Principal, TokenService
from cloudping.auth.sessions import SESSION_COOKIE, check_same_origin
from cloudping.channels.signin.expiring import Expiring
from cloudping.channels.signin.oauth import CONSENT_PATH, HubAuthorizationServer
from cloudping.channels.signin.oauthstore import OAUTH_FILE, OAuthStore
from cloudping.channels.signin.pages import consent_page, failure_page, providers_page
from cloudping.channels.signin.providers import Provider, SignInError
from cloudping.channels.signin.settings import LoginSettings
from cloudping.edge import RoutePolicy

LOGIN_COOKIE = "cloudping_login"
LOGIN_TTL_S = 600.0
FORM = "application/x-www-form-urlencoded"
MCP_RESOURCE_PATH = "/mcp"


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """A sign-in under way, kept by its ``state`` until the provider sends the person back."""

    provider: str
    nonce: str
    code_verifier: str
    next_path: str


class SignIn:
    """The running sign-in channel.

    Args:
        settings: the providers and who may do what.
        providers: each configured provider, by name.
        tokens: the hub's token service (sessions and MCP tokens).
        base_url: where people reach the hub (``--public-url``).
        data_dir: where the OAuth server keeps clients and refresh tokens.
        clock: POSIX seconds.
    """

    def __init__(
        self,
        settings: LoginSettings,
        *,
        providers: dict[str, Provider],
        tokens: TokenService,
        base_url: str,
        data_dir: Path,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.providers = providers
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self.data_dir = data_dir
        self.clock = clock
        self.pending: Expiring[PendingLogin] = Expiring(LOGIN_TTL_S)
        self.secure = _secure(self.base_url)
        self.oauth: HubAuthorizationServer | None = None

    def routes(self) -> Sequence[BaseRoute]:
        own: list[BaseRoute] = [
            Route("/auth/login", self.login_page, methods=["GET"]),
            Route("/auth/login/{name}", self.start, methods=["GET"]),
            Route("/auth/login/{name}/callback", self.callback, methods=["GET"]),
            Route("/auth/logout", self.logout, methods=["POST"]),
            Route("/auth/session", self.session, methods=["GET"]),
            Route(CONSENT_PATH + "/{id}", self.consent, methods=["GET", "POST"]),
        ]
        assert self.oauth is not None, "routes are asked for once the channel runs"
        issuer = AnyHttpUrl(self.base_url)
        scopes: list[str] = list(SCOPES)
        own += create_auth_routes(
            self.oauth,
            issuer,
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=scopes, default_scopes=["measure"]
            ),
            revocation_options=RevocationOptions(enabled=True),
        )
        own += create_protected_resource_routes(
            AnyHttpUrl(self.base_url + MCP_RESOURCE_PATH),
            [issuer],
            scopes_supported=scopes,
            resource_name="cloudping",
        )
        return own

    def policies(self) -> Sequence[tuple[str, RoutePolicy]]:
        form = RoutePolicy(body_limit=4096, media_types=(FORM,))
        return (
            ("/auth/logout", form),
            (CONSENT_PATH + "/{id}", form),
            ("/token", form),
            ("/revoke", form),
            ("/register", RoutePolicy(body_limit=16 * 1024)),
        )

    def running(self) -> AbstractAsyncContextManager[None]:
        @asynccontextmanager
        async def block() -> AsyncIterator[None]:
            store = await asyncio.to_thread(OAuthStore, self.data_dir / OAUTH_FILE)
            self.oauth = HubAuthorizationServer(self.tokens, store, self.base_url, self.clock)
            try:
                yield
            finally:
                await asyncio.to_thread(store.close)

        return block()

    async def login_page(self, request: Request) -> Response:
        shown = [(p.name, p.label) for p in self.settings.providers]
        return providers_page(shown, _next_path(request.query_params.get("next")))

    async def start(self, request: Request) -> Response:
        name = request.path_params["name"]
        provider = self.providers.get(name)
        if provider is None:
            return failure_page(f"there is no sign-in called {name!r} here", 404)
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 wants 43 to 128
        try:
            url = await provider.authorization_url(self._callback(name), state, nonce, verifier)
        except SignInError as exc:
            return failure_page(exc.message, 502)
        next_path = _next_path(request.query_params.get("next"))
        self.pending.put(state, PendingLogin(name, nonce, verifier, next_path), self.clock())
        answer = RedirectResponse(url, status_code=302)
        answer.set_cookie(
            LOGIN_COOKIE,
            state,
            max_age=int(LOGIN_TTL_S),
            path="/auth/login",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        return answer

    async def callback(self, request: Request) -> Response:
        name = request.path_params["name"]
        found = self._returning(request, name)
        if isinstance(found, Response):
            return found
        provider, pending, code = found
        try:
            person = await provider.identity(
                code, self._callback(name), pending.code_verifier, pending.nonce
            )
        except SignInError as exc:
            return failure_page(exc.message, 502)
        scopes = self.settings.scopes_of(provider.config, person.subject)
        if scopes is None:
            return failure_page("this account may not sign in here", 403)
        label = f"session of {person.name or person.subject} via {provider.config.label}"
        now = self.clock()
        session = await asyncio.to_thread(
            self.tokens.issue,
            person.subject,
            "session",
            scopes=tuple(s for s in SCOPES if s in scopes),
            ttl=self.settings.session_s,
            now=now,
            label=label[:200],
        )
        answer = RedirectResponse(pending.next_path, status_code=303)
        answer.delete_cookie(LOGIN_COOKIE, path="/auth/login")
        answer.set_cookie(
            SESSION_COOKIE,
            session,
            max_age=self.settings.session_s,
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )
        return answer

    async def logout(self, request: Request) -> Response:
        principal = self._session(request, state_changing=True)
        answer = RedirectResponse("/", status_code=303)
        answer.delete_cookie(SESSION_COOKIE, path="/", secure=self.secure, httponly=True)
        if principal is None:
            return answer
        now = self.clock()
        everywhere = request.query_params.get("everywhere") == "1"

        def revoke() -> None:
            if not everywhere:
                self.tokens.revoke(principal.token_id, now)
                return
            for record in self.tokens.registry.list(principal.subject):
                if record.audience == "session" and record.revoked_at is None:
                    self.tokens.revoke(record.jti, now)

        await asyncio.to_thread(revoke)
        return answer

    async def session(self, request: Request) -> Response:
        providers = [{"name": p.name, "label": p.label} for p in self.settings.providers]
        principal = self._session(request, state_changing=False)
        if principal is None:
            return JSONResponse({"signed_in": False, "providers": providers})
        record = await asyncio.to_thread(self.tokens.registry.get, principal.token_id)
        return JSONResponse(
            {
                "signed_in": True,
                "subject": principal.subject,
                "label": record.label if record else None,
                "scopes": sorted(principal.scopes),
                "expires_at": principal.expires_at,
                "providers": providers,
            }
        )

    async def consent(self, request: Request) -> Response:
        assert self.oauth is not None
        request_id = request.path_params["id"]
        waiting = self.oauth.consent(request_id)
        if waiting is None:
            return failure_page("this authorization request has expired: start again from the app")
        try:
            principal = self._session(request, state_changing=request.method == "POST")
        except AuthError as exc:
            return failure_page(exc.message, 403)
        if principal is None:
            return RedirectResponse(f"/auth/login?next={CONSENT_PATH}/{request_id}", 303)
        if request.method == "GET":
            asked = waiting.params.scopes or ["measure"]
            granted = [s for s in SCOPES if s in asked and s in principal.scopes]
            host = urlsplit(str(waiting.params.redirect_uri)).netloc
            return consent_page(request_id, waiting.client_name, host, principal.subject, granted)
        answer = (await request.form()).get("answer")
        if answer == "allow":
            target = self.oauth.approve(request_id, principal.subject, principal.scopes)
        else:
            target = self.oauth.deny(request_id)
        if target is None:
            return failure_page("this authorization request has expired: start again from the app")
        return RedirectResponse(target, status_code=303)

    def _returning(
        self, request: Request, name: str
    ) -> tuple[Provider, PendingLogin, str] | Response:
        """The provider, the sign-in under way and the code of a person sent back, or the
        page saying why the sign-in cannot go on."""
        provider = self.providers.get(name)
        query = request.query_params
        state = query.get("state", "")
        pending = self.pending.take(state, self.clock()) if state else None
        if provider is None or pending is None or pending.provider != name:
            return failure_page("this sign-in has expired or was used already: start again")
        if not secrets.compare_digest(
            request.cookies.get(LOGIN_COOKIE, "").encode(), state.encode()
        ):
            return failure_page("this sign-in was started in another browser: start again")
        if "error" in query:
            return failure_page(f"{provider.config.label} did not sign you in ({query['error']})")
        code = query.get("code")
        if not code:
            return failure_page(f"{provider.config.label} sent no authorization code")
        return provider, pending, code

    def _session(self, request: Request, *, state_changing: bool) -> Principal | None:
        """The signed-in person of ``request``, or None (no cookie, or it does not verify).

        Raises:
            AuthError: ``cross_site_request`` for a state change from another origin.
        """
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        if state_changing:
            check_same_origin(
                "POST", self.base_url, request.headers.get("origin"), request.headers.get("referer")
            )
        try:
            return self.tokens.verify(cookie, "session", self.clock())
        except AuthError:
            return None

    def _callback(self, name: str) -> str:
        return f"{self.base_url}/auth/login/{name}/callback"


def _next_path(asked: str | None) -> str:
    """Where to go after signing in: a path on this hub only (no open redirect)."""
    if not asked or not asked.startswith("/") or asked.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 0x20 for c in asked) or "\\" in asked:
        return "/"
    return asked


def _secure(base_url: str) -> bool:
    """Whether cookies need Secure: always, but for plain http on loopback."""
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
