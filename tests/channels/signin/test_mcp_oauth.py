"""An MCP client that signs in: the MCP SDK's OAuth client against the hub as authorization
server (discovery, dynamic registration, authorization code with PKCE, the person signing in
at a real OpenID Connect provider, consent, a tool call), then refresh and revocation."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)
from pydantic import AnyUrl

from .harness import OidcProvider, hub_with_signin, oidc_provider, through_provider
from .test_oidc import corp, factory

WAIT = 10.0
REDIRECT = "http://127.0.0.1:1/callback"  # never reached: the browser stops before it


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with oidc_provider("corp") as running:
        yield running


class Memory(TokenStorage):
    """What an MCP client keeps between runs."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


class Browser:
    """The person's browser: signs in at the provider when the hub asks, allows the client."""

    def __init__(self, hub: str) -> None:
        self.hub = hub
        self.http = httpx.AsyncClient(timeout=WAIT)
        self.consent_pages: list[str] = []
        self.result: asyncio.Future[AuthorizationCodeResult] | None = None

    async def open(self, authorization_url: str) -> None:
        """The MCP client's redirect: follow it through sign-in and consent to the client's
        redirect URI, and keep the code it carries."""
        authorize = await self.http.get(authorization_url)  # the SDK's /authorize
        assert authorize.status_code == 302, authorize.text
        answer = await self.http.get(_next(authorize))  # the hub's consent page
        if answer.is_redirect:  # not signed in yet: the hub lists its providers; pick one
            listing = await self.http.get(_next(answer))
            link = re.search(r'href="(/auth/login/corp[^"]*)"', listing.text)
            assert link is not None, listing.text
            start = self.hub + html.unescape(link.group(1))
            back = await through_provider(self.http, start, "carol", self.hub)
            assert back.status_code == 303  # to the consent page, signed in now
            answer = await self.http.get(_next(back))
        assert answer.status_code == 200, answer.text
        self.consent_pages.append(answer.text)
        action = str(answer.url)
        allowed = await self.http.post(
            action, data={"answer": "allow"}, headers={"origin": self.hub}
        )
        assert allowed.status_code == 303, allowed.text
        target = allowed.headers["location"]
        assert target.startswith(REDIRECT)
        query = parse_qs(urlsplit(target).query)
        loop = asyncio.get_running_loop()
        self.result = loop.create_future()
        self.result.set_result(
            AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])
        )

    async def callback(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return await self.result


def _next(answer: httpx.Response) -> str:
    """Where a redirect sends the browser."""
    return str(answer.url.join(answer.headers["location"]))


def test_an_mcp_client_signs_in_through_the_browser_and_calls_a_tool(
    provider: OidcProvider, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with hub_with_signin(
            tmp_path,
            provider.hub_port,
            factory(corp(provider)),
        ) as hub:
            browser = Browser(hub.url)
            storage = Memory()
            oauth = OAuthClientProvider(
                server_url=f"{hub.url}/mcp",
                client_metadata=OAuthClientMetadata(
                    client_name="Lab MCP client",
                    redirect_uris=[AnyUrl(REDIRECT)],
                    grant_types=["authorization_code", "refresh_token"],
                    response_types=["code"],
                    scope="measure",
                ),
                storage=storage,
                redirect_handler=browser.open,
                callback_handler=browser.callback,
            )
            async with (
                httpx2.AsyncClient(auth=oauth, timeout=WAIT) as http,
                Client(streamable_http_client(f"{hub.url}/mcp", http_client=http)) as client,
            ):
                tools = await client.list_tools()
            await browser.http.aclose()
            assert "ping" in {tool.name for tool in tools.tools}
            assert len(browser.consent_pages) == 1
            assert "Lab MCP client" in browser.consent_pages[0]
            assert "oidc-corp:carol" in browser.consent_pages[0]
            assert storage.tokens is not None
            # The client asks for what the resource lists (admin too); it gets what carol holds.
            assert storage.tokens.scope == "measure private"
            assert storage.tokens.refresh_token

            await refresh_then_revoke(hub.url, storage)

    asyncio.run(scenario())


async def refresh_then_revoke(hub: str, storage: Memory) -> None:
    """A refresh token buys a new access token once (rotation); revoking the access token
    ends it at once."""
    assert storage.tokens is not None
    assert storage.client is not None
    assert storage.tokens.refresh_token is not None
    client = {"client_id": storage.client.client_id or ""}
    if storage.client.client_secret:
        client["client_secret"] = storage.client.client_secret
    old_refresh = storage.tokens.refresh_token
    async with httpx.AsyncClient(timeout=WAIT) as http:
        refreshed = await http.post(
            f"{hub}/token",
            data={"grant_type": "refresh_token", "refresh_token": old_refresh, **client},
        )
        assert refreshed.status_code == 200, refreshed.text
        fresh = refreshed.json()
        assert fresh["refresh_token"] != old_refresh
        again = await http.post(
            f"{hub}/token",
            data={"grant_type": "refresh_token", "refresh_token": old_refresh, **client},
        )
        assert again.status_code == 400  # a refresh token is spent once
        bearer = {"authorization": f"Bearer {fresh['access_token']}"}
        assert (await http.get(f"{hub}/api/v1/tokens", headers=bearer)).status_code == 200
        revoked = await http.post(f"{hub}/revoke", data={"token": fresh["access_token"], **client})
        assert revoked.status_code == 200
        after = await http.get(f"{hub}/api/v1/tokens", headers=bearer)
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "token_revoked"
