"""The whole sign-in in a real browser: Playwright driving Debian's Chromium through the
hub's provider list, a real OpenID Connect provider's login and consent forms, and back;
then, as that person, a measurement and a token made from the page, and logout.

Every request the browser makes outside 127.0.0.1 is aborted (the provider's login page
asks for a web font): traffic stays on loopback.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Route, async_playwright

from .harness import OidcProvider, hub_with_signin, oidc_provider
from .test_oidc import corp, factory

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WAIT_MS = 10_000

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (scripts/setup)"
)


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with oidc_provider("corp") as running:
        yield running


async def loopback_only(route: Route) -> None:
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        await route.continue_()
    else:
        await route.abort()


def test_a_person_signs_in_in_a_browser_measures_makes_a_token_and_logs_out(
    provider: OidcProvider, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with (
            hub_with_signin(tmp_path / "hub", provider.hub_port, factory(corp(provider))) as hub,
            async_playwright() as playwright,
        ):
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = await browser.new_context()
            await context.route("**/*", loopback_only)
            page = await context.new_page()
            page.set_default_timeout(WAIT_MS)
            await page.goto(f"{hub.url}/auth/login?next=/auth/session")
            await page.get_by_role("link", name="Corp ID").click()
            await page.locator("input[name=login]").fill("erin")
            await page.locator("input[name=password]").fill("any")
            await page.get_by_role("button", name="Sign-in").click()
            await page.get_by_role("button", name="Continue").click()  # the provider's consent
            await page.wait_for_url(f"{hub.url}/auth/session")
            session: dict[str, Any] = await page.evaluate(
                "() => fetch('/auth/session').then(r => r.json())"
            )
            assert session["subject"] == "oidc-corp:erin"

            cookie = next(c for c in await context.cookies() if c["name"] == "cloudping_session")
            assert cookie["httpOnly"] is True
            assert cookie["sameSite"] == "Lax"
            assert cookie["secure"] is False  # plain http on loopback only
            assert await page.evaluate("() => document.cookie") == ""  # no script reads it

            ran = await page.evaluate(MEASURE)
            assert ran["status"] == 200
            assert ran["last"]["type"] == "end"
            made = await page.evaluate(ISSUE_FROM_PAGE)
            assert made["status"] == 201
            await use_then_revoke(hub.url, made["body"])

            await page.evaluate("() => fetch('/auth/logout', {method: 'POST'})")
            after = await page.evaluate("() => fetch('/auth/session').then(r => r.json())")
            assert after["signed_in"] is False
            await browser.close()

    asyncio.run(scenario())


MEASURE = """async () => {
  const r = await fetch('/api/v1/measurements', {method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({command: 'ping -c 1 127.0.0.1'})});
  const lines = (await r.text()).trim().split('\\n');
  return {status: r.status, last: JSON.parse(lines[lines.length - 1])};
}"""
ISSUE_FROM_PAGE = """async () => {
  const r = await fetch('/api/v1/tokens', {method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({label: 'from the page', ttl_s: 3600, scopes: ['measure']})});
  return {status: r.status, body: await r.json()};
}"""


async def use_then_revoke(hub: str, made: dict[str, Any]) -> None:
    """The token made on the page works on /mcp and the API until it is revoked."""
    bearer = {"authorization": f"Bearer {made['token']}"}
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "lab", "version": "1"},
        },
    }
    accept = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10) as http:
        assert (
            await http.post(f"{hub}/mcp", json=initialize, headers=bearer | accept)
        ).status_code == 200
        listed = await http.get(f"{hub}/api/v1/tokens", headers=bearer)
        assert [t["label"] for t in listed.json()["tokens"]] == ["from the page"]
        revoked = await http.delete(f"{hub}/api/v1/tokens/{made['id']}", headers=bearer)
        assert revoked.status_code == 200
        refused = await http.post(f"{hub}/mcp", json=initialize, headers=bearer | accept)
        assert refused.status_code == 401
        assert (await http.get(f"{hub}/api/v1/tokens", headers=bearer)).status_code == 401
