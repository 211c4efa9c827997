"""The web page in a real browser (Debian's Chromium through Playwright) against a hub with
two lab agents: every view, Stop, Share and replay, the downloads, and a page that makes no
error, no failed request and no request to another origin (issue 15, "Must show").

One hub, one browser and one page for the module; the browser runs in the hub's namespace
(r2), where the API listens on loopback. Screenshots are checked by size and known pixels.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hub.labhub import API_PORT, HUB_ROLE, LabHub
from lab import Lab, poll_until
from lab.pki import LabPki
from lab.servers import HTTPS_PORT, Caddy
from lab.unbound import Unbound, UnboundSpec, lab_zone
from playwright.sync_api import Page, expect

from cloudping.render.colours import GREEN
from cloudping.render.picture.bitmap import place
from cloudping.render.scanresult import ScanResult

from .browser import Watch, browser_in, near, pixel, size

ORIGIN = f"http://127.0.0.1:{API_PORT}"
TARGET = "198.18.3.2"
PHASES = ("connect", "tls", "wait", "transfer")  # an address: no DNS phase
SWEPT = "198.18.3.0/24"  # the target's link: r2 (.1) and the target (.2) answer
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def hub(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHub]:
    """The hub (r2) and agents a1, a2; Caddy and unbound on the target for http and dns."""
    directory = tmp_path_factory.mktemp("web-lab")
    running = LabHub.create(lab, directory / "hub")
    pki = LabPki(directory / "pki")
    caddy = Caddy(lab, directory / "caddy", pki, (TARGET,))
    zone = tuple(lab_zone([TARGET]))
    dns = Unbound(lab, "target", UnboundSpec(directory / "unbound", (TARGET,), local_data=zone))
    try:
        (directory / "unbound").mkdir()
        caddy.start()
        dns.start()
        running.ensure_running()
        yield running
    finally:
        running.close()
        dns.stop()
        caddy.stop()


@pytest.fixture(scope="module")
def page_and_watch(
    lab: Lab, hub: LabHub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Page, Watch]]:
    """One page for the module, signed in with the lab user's token (pasted once)."""
    with browser_in(lab, HUB_ROLE, tmp_path_factory.mktemp("chromium")) as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ORIGIN)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        watch = Watch(ORIGIN)
        watch.attach(page)
        page.goto(ORIGIN + "/")
        page.click("#signin summary")
        page.fill("#token", hub.api_token)
        page.click("#token-form button[type=submit]")
        expect(page.locator("#who")).to_have_text("with your token")
        yield page, watch
        context.close()


@pytest.fixture
def page(page_and_watch: tuple[Page, Watch]) -> Iterator[Page]:
    """The page; after the test, nothing went wrong on it that the test did not expect."""
    page, watch = page_and_watch
    yield page
    assert watch.problems() == []


@pytest.fixture
def watch(page_and_watch: tuple[Page, Watch]) -> Watch:
    return page_and_watch[1]


def run(page: Page, command: str, state: str = "ok") -> None:
    """Type ``command``, press Enter, wait for the measurement to end with ``state``."""
    page.fill("#command", command)
    page.press("#command", "Enter")
    try:
        expect(page.locator("#status")).to_have_attribute("data-state", state)
    except AssertionError as exc:
        raise AssertionError(f"{command}: {page.locator('main').inner_text()}") from exc


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go, for people to look at (the tests check them themselves)."""
    return tmp_path_factory.mktemp("web-screenshots")


def shot(page: Page, selector: str, path: Path) -> bytes:
    """A screenshot of the first element matching ``selector``, kept at ``path``."""
    return page.locator(selector).first.screenshot(path=path)


def shared(page: Page) -> tuple[str, str, str]:
    """Click Share: the link it gives, the measurement id and its read key."""
    page.click("#share")
    link = page.locator("#share-link input").input_value()
    parts = urlsplit(link)
    assert parts.path.startswith("/m/")
    return link, parts.path.removeprefix("/m/"), parse_qs(parts.query)["key"][0]


def api_bytes(page: Page, path: str) -> bytes:
    """What the API answers at ``path``, fetched by the page's origin without a token."""
    encoded: str = page.evaluate(
        """async (path) => {
            const bytes = new Uint8Array(await (await fetch(path)).arrayBuffer());
            let text = ""; for (const b of bytes) text += String.fromCharCode(b);
            return btoa(text);
        }""",
        path,
    )
    return base64.b64decode(encoded)


def test_the_agents_are_listed_and_picking_them_writes_from(page: Page) -> None:
    page.goto(ORIGIN + "/")
    rows = page.locator("#agent-list li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("a1")
    expect(rows.nth(1)).to_contain_text("a2")
    page.fill("#command", f"ping -c 3 {TARGET}")
    page.check("#agent-a1")
    page.check("#agent-a2")
    expect(page.locator("#command")).to_have_value(f"ping -c 3 {TARGET} from a1,a2")
    page.uncheck("#agent-a2")
    expect(page.locator("#command")).to_have_value(f"ping -c 3 {TARGET} from a1")


@pytest.mark.parametrize(
    ("text", "names", "written"),
    [
        ("ping -s a1 x", ["a2"], "ping x from a2"),
        ("ping --from=a1,a2 x", [], "ping x"),
        ("ping --from a1 x from a2", ["b"], "ping x from b"),
        ("ping from DE+AS3320 x", ["a1"], "ping x from a1"),
        ("dns -t A example.com", ["a1", "a2"], "dns -t A example.com from a1,a2"),
        ("ping fromage.example", ["a1"], "ping fromage.example from a1"),
    ],
)
def test_picking_agents_rewrites_every_spelling_of_from(
    page: Page, text: str, names: list[str], written: str
) -> None:
    if not page.url.startswith(ORIGIN):
        page.goto(ORIGIN + "/")
    found = page.evaluate(
        """async ([text, names]) => {
            const src = document.querySelector("script[type=module]").src;
            const { withAgents } = await import(new URL("agents.js", src));
            return withAgents(text, names);
        }""",
        [text, names],
    )
    assert found == written


def test_hints_come_from_the_schemas_and_the_agents_and_forms_write_the_command(
    page: Page,
) -> None:
    page.goto(ORIGIN + "/")
    page.click("#command")
    page.locator("#command").press_sequentially("ping -c")
    expect(page.locator("#hint")).to_contain_text("packets to send to each target (-c, --count)")
    page.fill("#command", "")
    page.locator("#command").press_sequentially("mtr from ")
    expect(page.locator("#hint")).to_contain_text("agents: a1, a2")
    page.click("#quick summary")
    page.select_option("#quick-form select[name=command]", "traceroute")
    page.fill("#quick-form input[name=target]", TARGET)
    page.select_option("#quick-form select[name=family]", "4")
    page.check("#agent-a2")
    page.click("#quick-form button[type=submit]")
    expect(page.locator("#command")).to_have_value(f"traceroute -4 {TARGET} from a2")
    expect(page.locator("#command")).to_be_focused()


def test_ping_shows_both_agents_rtts_in_the_matrix_coloured_green(page: Page, shots: Path) -> None:
    run(page, f"ping -c 3 -i 0.2 {TARGET} from a1,a2")
    assert parse_qs(urlsplit(page.url).query)["c"] == [f"ping -c 3 -i 0.2 {TARGET} from a1,a2"]
    expect(page).to_have_title(f"ping -c 3 -i 0.2 -s a1,a2 {TARGET} · cloudping")
    for agent in ("a1", "a2"):
        cell = page.locator(f'tr[data-target="{TARGET}"] td[data-agent="{agent}"]')
        expect(cell).to_have_class(re.compile(r"\brtt-fast\b"))
        expect(cell.locator(".rtt")).to_have_text(re.compile(r"^\d+\.\d+ ms$"))
        expect(cell.locator(".loss")).to_have_text("0 % loss")
        expect(cell.locator(".spark rect")).to_have_count(3)
    png = shot(page, "table.matrix", shots / "ping-matrix.png")
    width, height = size(png)
    assert width > 300
    assert 60 < height < 300
    background = pixel(shot(page, 'td[data-agent="a2"]', shots / "ping-cell.png"), -6, 6)
    assert near(background, GREEN)  # the cell's background: the scale's green


def test_traceroute_shows_three_hops(page: Page, shots: Path, lab: Lab) -> None:
    run(page, f"traceroute -q 1 {TARGET} from a1")
    expect(page.locator('[role="tab"]')).to_have_text(["a1"])
    rows = page.locator("table.hops tbody tr")
    expect(rows).to_have_count(3)
    for row, address in zip(range(3), lab.hops(4), strict=True):
        expect(rows.nth(row).locator(".host")).to_contain_text(address)
    png = shot(page, "table.hops", shots / "traceroute.png")
    assert size(png)[1] > 80


def test_mtr_shows_a_tab_per_agent_and_the_keyboard_moves_between_them(page: Page) -> None:
    run(page, f"mtr -c 2 -i 0.2 {TARGET} from a1,a2")
    tabs = page.locator('[role="tab"]')
    expect(tabs).to_have_text(["a1", "a2"])
    first = tabs.nth(0)
    first.focus()
    expect(first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowRight")
    second = tabs.nth(1)
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-selected", "true")
    panel = page.locator(f"#{second.get_attribute('aria-controls')}")
    expect(panel).to_be_visible()
    expect(panel.locator("tbody tr")).to_have_count(3)
    expect(panel.locator("tbody tr").last).to_contain_text("0 %")


def test_tcping_fills_the_matrix_for_host_and_port(page: Page) -> None:
    run(page, f"tcping -c 2 -i 0.2 {TARGET}:{HTTPS_PORT} from a1")
    cell = page.locator('td[data-agent="a1"]')
    expect(cell).to_have_class(re.compile(r"\brtt-fast\b"))
    expect(cell.locator(".loss")).to_have_text("0 % loss")


def test_scan_shows_the_bitmap_with_its_legend(page: Page, shots: Path) -> None:
    run(page, f"scan -W 0.5 --rate 1000 {SWEPT} from a1")
    image = page.locator(".bitmap img")
    expect(image).to_be_visible()
    natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    _, measurement_id, key = shared(page)
    picture = api_bytes(page, f"/api/v1/measurements/{measurement_id}/picture.png?key={key}")
    assert natural == list(size(picture))  # the API's picture itself
    expect(page.locator(".legend li")).to_have_text(
        ["< 100 ms", "< 250 ms", "≥ 250 ms", "unreachable", "no answer", "not probed"]
    )
    expect(page.locator(".counts")).to_contain_text("a1: 2 alive")  # r2 and the target
    png = shot(page, ".bitmap img", shots / "scan.png")
    (shown_w, shown_h), (own_w, own_h) = size(png), size(picture)
    assert shown_w == own_w  # shown at its own size: one screen pixel per pixel
    assert abs(shown_h - own_h) <= 1  # (the element may start at a fraction of a pixel)
    layout = ScanResult(ipaddress.ip_network(SWEPT), "a1", {}, frozenset(), 256)
    grid = place(layout, datetime(2026, 1, 1, tzinfo=UTC))  # any date: one header line
    for offset in (1, 2):  # r2 and the target answered within the scale's green
        left, top, right, bottom = grid.box(offset)
        assert near(pixel(png, (left + right) // 2, (top + bottom) // 2), GREEN), offset


def test_an_agents_refusal_is_shown_with_its_code(page: Page) -> None:
    run(page, f"scan --rate 2000 {SWEPT} from a1", state="error")
    refusal = page.locator("ul.errors li")
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text("a1: the job asks for 2000 packets/s")
    expect(refusal).to_contain_text("(limit_exceeded)")


def test_dns_shows_each_agents_answer_section(page: Page, shots: Path) -> None:
    run(page, f"dns --server {TARGET} target.lab from a1,a2")
    for agent in ("a1", "a2"):
        section = page.locator(f'section.dns[data-agent="{agent}"]')
        expect(section.locator("caption")).to_contain_text(["answers"])
        expect(section.locator("table.records").first).to_contain_text(TARGET)
        expect(section.locator(".facts")).to_contain_text("NOERROR")
    assert size(shot(page, "section.dns", shots / "dns.png"))[1] > 60


def test_http_shows_status_waterfall_and_certificate(page: Page, shots: Path) -> None:
    run(page, f"http -k https://{TARGET}:{HTTPS_PORT}/ from a1")
    section = page.locator('section.http[data-agent="a1"]')
    expect(section.locator(".status strong")).to_have_text(re.compile(r"^200 "))
    phases = section.locator(".waterfall text")
    expect(phases).to_have_text([re.compile(rf"^{name} \d+\.\d+ ms$") for name in PHASES])
    expect(section.locator(".waterfall rect")).to_have_count(len(PHASES))
    expect(section.locator(".cert")).to_contain_text("www.lab")
    png = shot(page, 'section.http[data-agent="a1"]', shots / "http.png")
    assert size(png)[0] > 300


def test_a_bad_command_shows_the_parsers_message_beside_the_box(page: Page, watch: Watch) -> None:
    page.fill("#command", f"ping -c x {TARGET}")
    page.press("#command", "Enter")
    error = page.locator("#command-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text('-c: "x" is not a whole number')
    expect(error.locator(".usage")).to_contain_text("usage: ping")
    expect(page.locator("#command")).to_have_attribute("aria-invalid", "true")
    selected = page.evaluate(
        "() => { const b = document.getElementById('command'); "
        "return b.value.slice(b.selectionStart, b.selectionEnd); }"
    )
    assert selected == "x"  # the bad word, selected in the box
    watch.expect_refusal(400, "POST", "/api/v1/measurements")


@pytest.mark.parametrize(("command", "shown"), [("list", "a2"), ("ping --help", "usage: ping")])
def test_commands_that_are_not_measurements_show_their_answer(
    page: Page, command: str, shown: str
) -> None:
    page.fill("#command", command)
    page.press("#command", "Enter")
    expect(page.locator("pre.answer")).to_contain_text(shown)


def test_stop_cancels_a_running_measurement(page: Page, hub: LabHub) -> None:
    page.fill("#command", f"ping -c 100 -i 0.5 {TARGET} from a1")
    page.press("#command", "Enter")
    expect(page.locator('td[data-agent="a1"] .rtt')).to_have_text(re.compile(r" ms$"))
    page.click("#stop")
    expect(page.locator("#status")).to_have_attribute("data-state", "cancelled")
    _, measurement_id, _ = shared(page)
    assert hub.get(f"/measurements/{measurement_id}")["status"] == "cancelled"


def test_a_new_command_hangs_up_the_last_one_which_the_hub_cancels(
    page: Page, hub: LabHub, watch: Watch
) -> None:
    page.fill("#command", f"ping -c 100 -i 0.5 {TARGET} from a1")
    page.press("#command", "Enter")
    expect(page.locator('td[data-agent="a1"] .rtt')).to_have_text(re.compile(r" ms$"))
    _, first, _ = shared(page)
    run(page, f"ping -c 1 {TARGET} from a2")
    expect(page.locator("table.matrix thead th")).to_have_text(["target", "a2"])
    poll_until(
        lambda: hub.get(f"/measurements/{first}")["status"] == "cancelled",
        timeout=10,
        what="the abandoned measurement to be cancelled",
        every=0.1,
    )
    watch.expect_aborted("POST", "/api/v1/measurements")


def test_a_shared_link_replays_the_same_result_and_downloads_are_the_apis(
    page: Page, shots: Path
) -> None:
    run(page, f"ping -c 2 -i 0.2 {TARGET} from a1,a2")
    live = page.locator("table.matrix").inner_text()
    link, measurement_id, key = shared(page)
    assert page.evaluate("navigator.clipboard.readText()") == link
    with page.expect_download() as png_download:
        page.click("#download-png")
    with page.expect_download() as json_download:
        page.click("#download-json")
    api = f"/api/v1/measurements/{measurement_id}"
    png = Path(png_download.value.path()).read_bytes()
    assert png == api_bytes(page, f"{api}/picture.png?key={key}")
    document = Path(json_download.value.path()).read_bytes()
    assert document == api_bytes(page, f"{api}?key={key}")
    stored: dict[str, Any] = json.loads(document)
    assert stored["id"] == measurement_id
    assert stored["status"] == "done"

    page.goto(link)  # the key alone opens it: the page sends no token with a key
    expect(page.locator("#status")).to_have_attribute("data-state", "ok")
    expect(page.locator("#stop")).to_be_disabled()  # a reader of a shared link stops nothing
    assert page.locator("table.matrix").inner_text() == live
    assert near(pixel(shot(page, 'td[data-agent="a1"]', shots / "replay-cell.png"), -6, 6), GREEN)


def test_the_owner_opens_m_id_with_the_token_and_a_wrong_key_finds_nothing(
    page: Page, watch: Watch
) -> None:
    run(page, f"ping -c 1 {TARGET} from a1")
    _, measurement_id, _ = shared(page)
    page.goto(f"{ORIGIN}/m/{measurement_id}")  # no key: the tab's token reads its own
    expect(page.locator("#status")).to_have_attribute("data-state", "ok")
    expect(page.locator('td[data-agent="a1"] .loss')).to_have_text("0 % loss")
    page.goto(f"{ORIGIN}/m/{measurement_id}?key=wrong")
    expect(page.locator("#status")).to_have_attribute("data-state", "error")
    expect(page.locator("#status")).to_contain_text("not_found")
    watch.expect_refusal(404, "GET", f"/api/v1/measurements/{measurement_id}/events?key=wrong")


def test_a_tab_without_a_token_says_what_the_hub_wants(page_and_watch: tuple[Page, Watch]) -> None:
    own, _ = page_and_watch
    other = own.context.new_page()  # a new tab: its session storage holds no token
    watch = Watch(ORIGIN)
    watch.attach(other)
    try:
        other.goto(f"{ORIGIN}/?c=ping+-c+1+{TARGET}")
        expect(other.locator("#who")).to_have_text("as a guest")
        expect(other.locator("#status")).to_have_attribute("data-state", "error")
        expect(other.locator("#status")).to_contain_text("token")
        expect(other.locator("#agent-list li")).to_have_count(2)  # anyone may see the agents
        watch.expect_refusal(401, "POST", "/api/v1/measurements")
        assert watch.problems() == []
    finally:
        other.close()


def test_the_page_reads_on_a_phone_in_dark_mode(page: Page, shots: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    try:
        run(page, f"ping -c 1 {TARGET} from a1")
        png = page.screenshot(path=shots / "phone-dark.png")
        assert size(png) == (390, 844)
        assert near(pixel(png, 2, 2), (0x15, 0x17, 0x1A))  # the dark background
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390  # nothing wider than the phone
    finally:
        page.set_viewport_size({"width": 1200, "height": 900})
        page.emulate_media(color_scheme="light")
