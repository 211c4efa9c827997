"""Debian's Chromium driven by Playwright, run inside a lab namespace, and a watch on what
the page does (console errors, failed requests, requests to another origin).

Playwright talks to the browser over a pipe (``--remote-debugging-pipe``), which
``ip netns exec`` keeps open across its exec: a two-line wrapper puts the browser in the
namespace where the hub's API listens, and the test drives it from the root namespace.
Never ``playwright install``: the browser is ``/usr/bin/chromium`` (lab-notes, "Browser").
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lab import Lab, Role
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# lab-notes: what headless Chromium needs as root, and nothing that calls out to the Internet.
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
RGB = tuple[int, int, int]
# The page asks whether the hub has sign-in; a hub without it answers 404, by design.
NO_SIGNIN = "/auth/session"


@contextmanager
def browser_in(lab: Lab, role: Role, directory: Path) -> Iterator[Browser]:
    """Chromium running in ``role``'s namespace, closed (its process stopped) on the way out."""
    wrapper = directory / "chromium-in-namespace"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {lab.ns(role)} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    with chromium(wrapper) as browser:
        yield browser


@contextmanager
def chromium(executable: Path = Path(CHROMIUM)) -> Iterator[Browser]:
    """Chromium (here, or through a wrapper), closed on the way out."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What a page did that a good page does not: console errors, failed requests, requests
    to another origin, answers of 400 and above (but the 404 of ``/auth/session``: how a hub
    without sign-in says so)."""

    origin: str
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("requestfailed", self._failed)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        asked = message.location.get("url") == self.origin + NO_SIGNIN
        if message.type == "error" and not (asked and "status of 404" in message.text):
            self.console.append(message.text)

    def _failed(self, request: Request) -> None:
        # The page asks who is signed in on every load; a test that navigates away at once
        # leaves that request behind (aborted by the browser, not failed by the hub).
        left = request.url == self.origin + NO_SIGNIN and request.failure == "net::ERR_ABORTED"
        if not left:
            self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def _request(self, request: Request) -> None:
        url = request.url
        if not (url.startswith(self.origin + "/") or url.startswith(f"blob:{self.origin}/")):
            self.foreign.append(url)

    def _response(self, response: Response) -> None:
        asked = response.url == self.origin + NO_SIGNIN
        if response.status >= 400 and not (asked and response.status == 404):
            self.refused.append(f"{response.status} {response.request.method} {response.url}")

    def expect_refusal(self, status: int, method: str, path: str) -> None:
        """Forget one refusal the test caused on purpose (and the console line the browser
        writes for every 4xx answer)."""
        line = f"{status} {method} {self.origin}{path}"
        assert line in self.refused, self.refused
        self.refused.remove(line)
        self.console = [c for c in self.console if f"status of {status}" not in c]

    def expect_aborted(self, method: str, path: str) -> None:
        """Forget the one request the page hung up on purpose (a stream it stopped reading)."""
        line = f"{method} {self.origin}{path}: net::ERR_ABORTED"
        assert line in self.failed, self.failed
        self.failed.remove(line)

    def problems(self) -> list[str]:
        """Everything seen so far that should not have happened (and forget it)."""
        found = [*self.console, *self.failed, *self.foreign, *self.refused]
        self.console, self.failed, self.foreign, self.refused = [], [], [], []
        return found


def pixel(png: bytes, x: int, y: int) -> RGB:
    """The colour at ``(x, y)`` of a screenshot (negative: from the right or bottom)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    found: RGB = image.getpixel((x % image.width, y % image.height))  # type: ignore[assignment]
    return found


def size(png: bytes) -> tuple[int, int]:
    """The width and height of a PNG."""
    image = Image.open(io.BytesIO(png))
    return image.width, image.height


def near(found: RGB, expected: RGB, tolerance: int = 12) -> bool:
    """Whether two colours match within ``tolerance`` per channel (anti-aliasing, gamma)."""
    return all(abs(a - b) <= tolerance for a, b in zip(found, expected, strict=True))
