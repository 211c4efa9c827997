"""The web page: what its first view weighs, and how soon an event is a row on screen.

A real ``cloudping up`` on loopback (its local agent pings 127.0.0.1) and Debian's Chromium
through Playwright (never a downloaded browser):

- page weight: the bytes of every answer the first view loads (bodies, and with headers),
  in a fresh browser context (nothing cached); the command schemas the box loads on first
  use are counted apart (goal: first view under 100 KB uncompressed);
- event -> row: in the page, the time from the stream's chunk holding the first ``reply``
  reaching the page's reader to the frame after its matrix cell shows the RTT (the page's
  own cost: parse, fold, DOM, paint), median over 20 runs (goal under 100 ms); beside it,
  in the same rounds, the whole way from pressing Enter to that frame, against ``curl -N``
  (the reference client) from its start to the first ``reply`` line of the same command;
- the sign-in question: a link's command runs once the page knows who it is, so the page
  first asks ``GET /auth/session`` (404 here: ``cloudping up`` has no sign-in); its time in
  the page (Resource Timing) against ``curl`` asking the same.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from lab import Lab
from playwright.sync_api import Page, Request, sync_playwright
from upprocess import start_up, stop

from benchmarks.common import Table, percentile

ROUNDS = 20
COMMAND = "ping -c 1 127.0.0.1"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
# Before the page's own scripts: stamp the first chunk holding a reply as it reaches a
# stream reader, and the frame after the first matrix cell shows an RTT.
PROBE = """
window.__bench = {};
const read = ReadableStreamDefaultReader.prototype.read;
ReadableStreamDefaultReader.prototype.read = async function () {
  const got = await read.call(this);
  const reply = got.value && String(got.value).includes('"type":"reply"');
  if (window.__bench.chunk === undefined && reply) window.__bench.chunk = performance.now();
  return got;
};
new MutationObserver(() => {
  const cell = document.querySelector("td.cell .rtt");
  if (window.__bench.row === undefined && cell && cell.textContent.endsWith(" ms")) {
    window.__bench.row = performance.now();
    const paint = () => (window.__bench.painted = performance.now());
    requestAnimationFrame(() => requestAnimationFrame(paint));
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def first_view(page: Page, url: str) -> tuple[int, int, int]:
    """Requests, body bytes and bytes with headers of the first view of ``url``."""
    sizes: list[tuple[int, int]] = []

    def finished(request: Request) -> None:
        measured = request.sizes()
        sizes.append((measured["responseBodySize"], measured["responseHeadersSize"]))

    page.on("requestfinished", finished)
    page.goto(url + "/", wait_until="networkidle")
    page.remove_listener("requestfinished", finished)
    return len(sizes), sum(b for b, _ in sizes), sum(b + h for b, h in sizes)


def page_round(page: Page, url: str) -> tuple[float, float]:
    """One run typed into the page: (chunk -> painted row, Enter -> painted row) in ms."""
    page.goto(url + "/", wait_until="networkidle")  # not the last run's /?c=..., which reruns
    page.fill("#command", COMMAND)
    pressed = page.evaluate("performance.now()")
    page.press("#command", "Enter")
    page.wait_for_function("() => window.__bench.painted !== undefined", timeout=30_000)
    stamps = page.evaluate("window.__bench")
    return stamps["painted"] - stamps["chunk"], stamps["painted"] - pressed


def session_round(page: Page, url: str) -> float:
    """A link opened: how long the page's ``/auth/session`` question took, in ms."""
    page.goto(url + "/?c=version", wait_until="networkidle")
    asked: float = page.evaluate(
        "performance.getEntriesByName(location.origin + '/auth/session')[0].duration"
    )
    return asked


def curl_session(url: str) -> float:
    """``curl`` asking ``/auth/session``, start to end, in ms."""
    argv = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", f"{url}/auth/session"]
    started = time.monotonic()
    subprocess.run(argv, check=True, capture_output=True, timeout=30)
    return (time.monotonic() - started) * 1000


def curl_round(url: str, token: str) -> float:
    """``curl -N`` from its start to the first reply line of the same command, in ms."""
    argv = [
        "curl", "-sN", "-H", f"Authorization: Bearer {token}", "--json",
        f'{{"command": "{COMMAND}"}}', f"{url}/api/v1/measurements",
    ]  # fmt: skip
    started = time.monotonic()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as curl:
        assert curl.stdout is not None
        for line in curl.stdout:
            if '"type":"reply"' in line:
                elapsed = (time.monotonic() - started) * 1000
                break
        else:
            raise AssertionError("curl saw no reply")
        curl.wait(timeout=30)
    return elapsed


def bench(lab: Lab) -> Table:
    """The table (the lab is not used: loopback is the shortest way to the page)."""
    del lab
    assert shutil.which("curl"), "curl is the reference client"
    data = Path(tempfile.mkdtemp(prefix="bench-web-"))
    up = start_up(data)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            fresh = browser.new_page()
            requests, body, total = first_view(fresh, up.url)
            schemas = len(fresh.evaluate("fetch('/api/v1/openapi.json').then(r => r.text())"))
            fresh.close()
            context = browser.new_context()
            context.add_init_script(PROBE)
            page = context.new_page()
            page.goto(up.url + "/")
            page.evaluate(f"sessionStorage.setItem('cloudping.token', {up.token!r})")
            inside, whole, reference, asked, curl_asked = [], [], [], [], []
            for _ in range(ROUNDS):  # alternating, so both see the same machine
                event_row, enter_row = page_round(page, up.url)
                inside.append(event_row)
                whole.append(enter_row)
                reference.append(curl_round(up.url, up.token))
                asked.append(session_round(page, up.url))
                curl_asked.append(curl_session(up.url))
            browser.close()
    finally:
        stop(up)
        shutil.rmtree(data, ignore_errors=True)
    table = Table(f"web page (cloudping up on loopback, {ROUNDS} alternating rounds)")
    table.row("first view", requests=requests, body_bytes=body, with_headers=total)
    table.row("command schemas (on first use of the box)", body_bytes=schemas)
    for name, samples in (
        ("page: first reply chunk -> row painted (ms)", inside),
        ("page: Enter -> row painted (ms)", whole),
        ("curl -N: start -> first reply line (ms)", reference),
        ("page: /auth/session before a link's command (ms)", asked),
        ("curl: /auth/session, process start -> end (ms)", curl_asked),
    ):
        table.row(name, median=statistics.median(samples), p95=percentile(samples, 95))
    ratio = statistics.median(whole) / statistics.median(reference)
    table.note(f"Enter -> row in the page / curl's start -> reply line: {ratio:.2f}")
    table.note(f"first view {body / 1024:.1f} KiB of bodies (goal < 100 KB uncompressed)")
    return table
