"""The web page's files as the hub serves them (``cloudping up`` on loopback, plain HTTP):
who gets the page, its policy and caching headers, the versioned assets, and ``--no-web``."""

from __future__ import annotations

import argparse
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from upprocess import UpProcess, start_up, stop

from cloudping.channels.web import WebPage, add_options, configure
from cloudping.channels.web.assets import DEFAULT_ROOT, load_assets

from .browser import Watch, chromium

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
BUDGET = 100 * 1024  # issue 15: the first view under 100 KB, uncompressed
# What a JavaScript module imports, and what the page links.
IMPORT = re.compile(r'^import .* from "(\./[^"]+|\.\./[^"]+)";$', re.MULTILINE)
LINKED = re.compile(r'(?:src|href)="(/assets/[^"]+)"')


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    running = start_up(tmp_path_factory.mktemp("web-up"))
    try:
        yield running
    finally:
        stop(running)


@pytest.fixture
def client(up: UpProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=up.url, timeout=10) as http:
        yield http


def first_view(client: httpx.Client) -> dict[str, httpx.Response]:
    """Every file a browser loads to show the page: the page, what it links, and each module
    the modules import (the command schemas load later, when the box is first used)."""
    page = client.get("/", headers=HTML)
    found = {"/": page}
    waiting = LINKED.findall(page.text)
    while waiting:
        path = waiting.pop()
        if path in found:
            continue
        found[path] = answer = client.get(path)
        if path.endswith(".js"):
            folder = path.rsplit("/", 1)[0]
            waiting += [
                posixpath.normpath(f"{folder}/{name}") for name in IMPORT.findall(answer.text)
            ]
    return found


def test_a_browser_gets_the_page_under_a_strict_content_security_policy(
    client: httpx.Client,
) -> None:
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "connect-src 'self';" in policy
    assert "require-trusted-types-for 'script'" in policy
    assert "unsafe" not in policy
    assert page.headers["referrer-policy"] == "no-referrer"  # /m/<id>?key=... leaks nowhere
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-cache"
    assert "<script" not in page.text.replace('<script type="module" src="/assets/', "")
    assert "style=" not in page.text


def test_a_stored_measurements_address_serves_the_page(client: httpx.Client) -> None:
    page = client.get("/m/some-id?key=abc")
    assert page.status_code == 200
    assert page.content == client.get("/", headers=HTML).content


def test_other_clients_still_get_the_apis_json_index_at_the_root(client: httpx.Client) -> None:
    index = client.get("/", headers={"Accept": "application/json"})
    assert index.status_code == 200
    assert index.json()["links"]["openapi"] == "/api/v1/openapi.json"


def test_every_file_of_the_first_view_is_served_and_immutable_under_its_version(
    client: httpx.Client,
) -> None:
    files = first_view(client)
    assert len(files) > 8  # the page, its style, icon and the modules
    for path, answer in files.items():
        assert answer.status_code == 200, path
        if path != "/":
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert "content-security-policy" in answer.headers
    modules = [p for p in files if p.endswith(".js")]
    assert all(files[p].headers["content-type"].startswith("text/javascript") for p in modules)


def test_the_first_view_weighs_under_100_kb(client: httpx.Client) -> None:
    weight = sum(len(answer.content) for answer in first_view(client).values())
    assert weight < BUDGET, weight


def test_a_browser_revalidating_its_copy_gets_304(client: httpx.Client) -> None:
    page = client.get("/", headers=HTML)
    again = client.get("/", headers={**HTML, "If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    asset = next(p for p in LINKED.findall(page.text) if p.endswith(".css"))
    etag = client.get(asset).headers["etag"]
    assert client.get(asset, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(asset, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(asset, headers={"If-None-Match": "*"}).status_code == 304


@pytest.mark.parametrize(
    "path",
    ["/assets/0000000000000000/app.js", "/assets/{v}/README.md", "/assets/{v}/../index.html",
     "/assets/{v}/nothing.js", "/assets/{v}/index.html"],
)  # fmt: skip
def test_an_old_version_or_another_file_is_not_found(client: httpx.Client, path: str) -> None:
    version = load_assets(DEFAULT_ROOT).version
    assert client.get(path.format(v=version)).status_code == 404


def test_a_guest_uses_the_page_where_the_hub_allows_guests(up: UpProcess) -> None:
    with chromium() as browser:
        page = browser.new_page()
        watch = Watch(up.url)
        watch.attach(page)
        page.goto(f"{up.url}/?c=help+dns")  # a link runs its command
        expect(page.locator("#who")).to_have_text("as a guest")
        expect(page.locator("pre.answer")).to_contain_text("usage: dns")
        expect(page.locator("#agent-list li")).to_have_text([re.compile(r"^local")])
        page.fill("#command", "ping -c 1 127.0.0.1")  # loopback: not for guests
        page.press("#command", "Enter")
        expect(page.locator("#status")).to_have_attribute("data-state", "error")
        expect(page.locator("ul.errors li")).to_contain_text(["(policy_denied)"])
        assert watch.problems() == []


def test_a_hub_without_sign_in_shows_no_sign_in_area_and_keeps_the_token_form(
    up: UpProcess,
) -> None:
    with chromium() as browser:
        page = browser.new_page()
        watch = Watch(up.url)
        watch.attach(page)
        with page.expect_response(f"{up.url}/auth/session") as asked:
            page.goto(f"{up.url}/?c=version")
        assert asked.value.status == 404  # the page asked; this hub has no sign-in
        # A link's command runs once the page knows who it is: then the area is settled.
        expect(page.locator("pre.answer")).to_be_visible()
        expect(page.locator("#who")).to_have_text("as a guest")
        expect(page.get_by_role("navigation", name="Account")).to_be_hidden()
        expect(page.get_by_role("link", name="Sign in")).to_be_hidden()
        expect(page.get_by_role("heading", name="API tokens")).to_be_hidden()
        expect(page.locator("#signin summary")).to_be_visible()  # the pasted token stays
        assert watch.problems() == []


def options(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_options(p)
    return p.parse_args(argv)


def test_the_page_is_configured_by_default_and_a_folder_without_a_page_is_a_usage_error(
    tmp_path: Path,
) -> None:
    assert configure(options()) is not None
    assert configure(options("--no-web")) is None
    with pytest.raises(ValueError, match="--web-root"):
        configure(options("--web-root", str(tmp_path)))


def test_a_hub_that_serves_no_http_gets_no_routes() -> None:
    assets = load_assets(DEFAULT_ROOT)
    assert WebPage(assets, listening=False).routes() == ()
    assert len(WebPage(assets, listening=True).routes()) == 3
