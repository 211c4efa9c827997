"""The whole sign-in in a real browser, from the web page: Playwright driving Debian's
Chromium from the page's "Sign in" link through the hub's provider list, a real OpenID
Connect provider's login and consent forms, and back; then, as that person, a measurement
from the command box, an API token issued, read and revoked with the page's controls (it
works on /mcp and the API until then), and "Sign out".

Every request the browser makes outside 127.0.0.1 is aborted (the provider's login page
asks for a web font): traffic stays on loopback.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Route, async_playwright, expect

from cloudping.channels.plug import Channel, ChannelContext
from cloudping.channels.web import WebPage
from cloudping.channels.web.assets import DEFAULT_ROOT, load_assets

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


def test_a_person_signs_in_from_the_page_makes_and_revokes_a_token_and_signs_out(
    provider: OidcProvider, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with (
            hub_with_signin(
                tmp_path / "hub", provider.hub_port, factory(corp(provider)), also=(web_page,)
            ) as hub,
            async_playwright() as playwright,
        ):
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = await browser.new_context()
            await context.route("**/*", loopback_only)
            page = await context.new_page()
            page.set_default_timeout(WAIT_MS)
            errors: list[str] = []
            bearer: list[str] = []  # API requests that named a token instead of the cookie
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on(
                "request",
                lambda r: (
                    bearer.append(r.url)
                    if "/api/v1/" in r.url and "authorization" in r.headers
                    else None
                ),
            )

            await page.goto(f"{hub.url}/?c=version")
            sign_in = page.get_by_role("link", name="Sign in")
            assert await sign_in.get_attribute("href") == "/auth/login?next=%2F%3Fc%3Dversion"
            # A token pasted in this tab before: once signed in, the cookie says who, not it.
            await page.evaluate("() => sessionStorage.setItem('cloudping.token', 'pasted')")
            await sign_in.click()
            await page.get_by_role("link", name="Corp ID").click()
            await page.locator("input[name=login]").fill("erin")
            await page.locator("input[name=password]").fill("any")
            await page.get_by_role("button", name="Sign-in").click()
            await page.get_by_role("button", name="Continue").click()  # the provider's consent
            await page.wait_for_url(f"{hub.url}/?c=version")  # back where the link was
            errors.clear()  # the provider's pages are not ours
            await expect(page.locator("#who")).to_have_text("signed in as oidc-corp:erin")
            await expect(page.locator("pre.answer")).to_be_visible()  # the link's command ran
            await expect(sign_in).to_be_hidden()
            await expect(page.locator("#signin")).to_be_hidden()  # no token to paste

            cookie = next(c for c in await context.cookies() if c["name"] == "cloudping_session")
            assert cookie["httpOnly"] is True
            assert cookie["sameSite"] == "Lax"
            assert cookie["secure"] is False  # plain http on loopback only
            assert await page.evaluate("() => document.cookie") == ""  # no script reads it

            await page.locator("#command").fill("ping -c 1 127.0.0.1")
            await page.locator("#command").press("Enter")
            await expect(page.locator("#status")).to_have_attribute("data-state", "ok")

            tokens = page.get_by_role("region", name="API tokens")
            await tokens.get_by_label("Label").fill("from the page")
            await tokens.get_by_label("Expires in (days)").fill("2")
            await expect(tokens.get_by_role("checkbox", name="measure")).to_be_checked()
            await tokens.get_by_role("button", name="Issue token").press("Enter")  # keyboard
            shown = tokens.get_by_label("the new token")
            await expect(shown).to_have_value(re.compile(r"^\S{40,}$"))  # shown once, whole
            made = await shown.input_value()
            config = json.loads(await page.locator("#mcp-config").inner_text())
            assert config["servers"]["cloudping"] == {
                "type": "http",
                "url": f"{hub.url}/mcp",
                "headers": {"Authorization": f"Bearer {made}"},
            }
            listed = tokens.get_by_role("listitem").filter(has_text="from the page")
            await expect(listed).to_contain_text("measure")
            await expect(listed).to_have_attribute("data-state", "active")
            token_id = await works(hub.url, made, "from the page")

            await page.set_viewport_size({"width": 390, "height": 844})  # a phone
            wide = await page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= 390  # the token, its configuration and the list fit: no sideways scroll
            await listed.get_by_role("button", name="Revoke from the page").focus()
            await page.keyboard.press("Enter")
            await expect(listed).to_have_attribute("data-state", "revoked")
            await expect(tokens.get_by_role("list")).to_be_focused()  # the keyboard goes on
            await refused(hub.url, made, token_id)

            await page.get_by_role("button", name="Sign out").click()
            await expect(sign_in).to_be_visible()
            await expect(page.locator("#who")).to_have_text("with your token")  # pasted: back
            await expect(page.locator("#signin")).to_be_visible()
            await expect(page.get_by_role("heading", name="API tokens")).to_be_hidden()
            assert (
                await sign_in.get_attribute("href")
                == "/auth/login?next=%2F%3Fc%3Dping%2B-c%2B1%2B127.0.0.1"
            )
            after = await page.evaluate("() => fetch('/auth/session').then(r => r.json())")
            assert after["signed_in"] is False
            assert bearer == []
            assert errors == []
            await browser.close()

    asyncio.run(scenario())


def web_page(context: ChannelContext) -> Channel:
    """The page the hub serves at ``/``, from the files cloudping ships."""
    return WebPage(load_assets(DEFAULT_ROOT), context.listening)


MCP_INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "lab", "version": "1"},
    },
}
MCP_ACCEPT = {"accept": "application/json, text/event-stream"}


async def works(hub: str, token: str, label: str) -> str:
    """The token read from the page works on /mcp and the API; its id."""
    bearer = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as http:
        mcp = await http.post(f"{hub}/mcp", json=MCP_INITIALIZE, headers=bearer | MCP_ACCEPT)
        assert mcp.status_code == 200
        listed = await http.get(f"{hub}/api/v1/tokens", headers=bearer)
        assert listed.status_code == 200
        [own] = listed.json()["tokens"]
        assert own["label"] == label
        return str(own["id"])


async def refused(hub: str, token: str, token_id: str) -> None:
    """Revoked on the page, the token is refused on /mcp and the API."""
    bearer = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as http:
        mcp = await http.post(f"{hub}/mcp", json=MCP_INITIALIZE, headers=bearer | MCP_ACCEPT)
        assert mcp.status_code == 401
        assert (await http.get(f"{hub}/api/v1/tokens", headers=bearer)).status_code == 401
        assert (
            await http.delete(f"{hub}/api/v1/tokens/{token_id}", headers=bearer)
        ).status_code == 401
