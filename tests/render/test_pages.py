"""Telegram HTML and email (text + HTML) from recorded streams, with hostile strings: escaped,
only allowed tags, Telegram's limit counted in UTF-16 units and cut at a line boundary."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from recorded import load, raw

from cloudping.events import Event, from_dict
from cloudping.render.colours import GREEN, GREY, css
from cloudping.render.pages.mail import mail_html
from cloudping.render.pages.plain import report_text
from cloudping.render.pages.telegram import LIMIT, live_page, telegram_html, utf16_length
from cloudping.render.reports import Report, report
from cloudping.render.snapshot import Snapshot

WHEN = datetime(2026, 12, 8, 3, 0, 0, tzinfo=UTC)
HOSTILE = (
    "<script>alert(1)</script>",
    "a&amp;b.example",
    "\N{EARTH GLOBE EUROPE-AFRICA}.example",
    "\u0645\u062b\u0627\u0644.\u0625\u062e\u062a\u0628\u0627\u0631",  # right-to-left
)
TELEGRAM_TAGS = {"b", "i", "code", "pre", "a"}


def retargeted(name: str, targets: Sequence[str], agent: str = "local") -> list[Event]:
    """Recorded stream ``name`` with its first job's events repeated for each of ``targets``
    (run by ``agent``)."""
    first, *jobs, end = raw(name)
    job = jobs[0]["target"]
    events = [from_dict({**first, "agents": [agent]})]
    for target in targets:
        events += [
            from_dict({**e, "target": target, "agent": agent}) for e in jobs if e["target"] == job
        ]
    return [*events, from_dict(end)]


def ping_report(targets: Sequence[str], agent: str = "local") -> Report:
    return report("ping", Snapshot.of(retargeted("ping", targets, agent)), WHEN)


class Tags(HTMLParser):
    """The tags of a fragment, and whether they nest properly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.seen: set[str] = set()
        self.stack: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.balanced = self.balanced and bool(self.stack) and self.stack.pop() == tag


def tags(text: str) -> Tags:
    parser = Tags()
    parser.feed(text)
    parser.close()
    return parser


def entities_whole(text: str) -> bool:
    """Every ``&`` starts one of the three escapes Telegram knows: none was cut in two."""
    return re.search(r"&(?!amp;|lt;|gt;)", text) is None


def well_formed(text: str) -> bool:
    """Every tag opened is closed, in order."""
    found = tags(text)
    return found.balanced and not found.stack


def test_telegram_escapes_every_hostile_string_and_uses_only_its_tags() -> None:
    text = telegram_html(ping_report(HOSTILE, agent="<b>fra1</b>"))
    assert tags(text).seen <= TELEGRAM_TAGS
    assert well_formed(text)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "a&amp;amp;b.example" in text  # a literal "&amp;" stays literal
    assert "&lt;b&gt;fra1&lt;/b&gt;" in text
    assert HOSTILE[2] in text
    assert HOSTILE[3] in text
    assert entities_whole(text)
    assert "<pre>" in text  # the matrix


def test_telegram_counts_utf16_units_so_emoji_count_twice() -> None:
    assert utf16_length("\N{EARTH GLOBE EUROPE-AFRICA}") == 2
    targets = [f"\N{EARTH GLOBE EUROPE-AFRICA}{n}" * 6 for n in range(200)]
    rep = ping_report(targets)
    text = telegram_html(rep)
    assert utf16_length(text) <= LIMIT
    assert len(text) < utf16_length(text)  # the emoji were counted as two
    whole = telegram_html(rep, limit=10**6)
    assert utf16_length(whole) > LIMIT  # so the first had to be cut


def test_a_long_telegram_message_is_cut_at_a_line_boundary_with_a_note() -> None:
    rep = ping_report([f"host-{n}.example" for n in range(400)])
    whole = telegram_html(rep, limit=10**6)
    text = telegram_html(rep)
    assert utf16_length(text) <= LIMIT
    *kept, note = text.split("\n")
    [left] = re.fullmatch(r"<i>… cut: (\d+) more lines</i>", note).groups()  # type: ignore[union-attr]
    whole_lines = whole.split("\n")
    assert len(kept) + int(left) == len(whole_lines)
    assert kept[:-1] == whole_lines[: len(kept) - 1]  # whole lines, in order
    assert kept[-1] == whole_lines[len(kept) - 1] + "</pre>"  # the open <pre> is closed
    assert well_formed(text)


@pytest.mark.parametrize("limit", [120, 300, 1000, 4096])
def test_a_lone_very_long_line_is_shortened_never_inside_an_entity(limit: int) -> None:
    target = "&<>" * 3000 + "\N{EARTH GLOBE EUROPE-AFRICA}" * 500
    text = telegram_html(ping_report([target]), limit=limit)
    assert utf16_length(text) <= limit
    assert entities_whole(text)
    assert tags(text).seen <= TELEGRAM_TAGS
    assert well_formed(text)


def test_telegram_shows_the_rtt_scale_as_marks() -> None:
    text = telegram_html(report("ping", Snapshot.of(load("ping")), WHEN))
    assert text.count("\N{LARGE GREEN CIRCLE}") == 2
    assert text.count("\N{MEDIUM WHITE CIRCLE}") == 1  # the blackhole


def test_plain_text_matches_its_snapshot() -> None:
    assert report_text(report("ping", Snapshot.of(load("ping")), WHEN)) == (
        "ping -i 0.2 -W 0.5 198.18.3.2 2001:db8:3::2 198.18.99.1\n"
        "agents: local - ok in 1.1 s\n"
        "2026-12-08 03:00:00 UTC\n"
        "\n"
        "avg RTT (ms) / loss\n"
        "target         local\n"
        "198.18.3.2     \N{LARGE GREEN CIRCLE} 0.070 ms 0%\n"
        "2001:db8:3::2  \N{LARGE GREEN CIRCLE} 0.049 ms 0%\n"
        "198.18.99.1    \N{MEDIUM WHITE CIRCLE} no answer 100%\n"
    )


def test_plain_text_of_http_draws_the_waterfall() -> None:
    text = report_text(report("http", Snapshot.of(load("http")), WHEN))
    lines = text.splitlines()
    bars = [line for line in lines if "\N{FULL BLOCK}" in line]
    assert [line.split()[0] for line in bars] == ["dns", "connect", "tls", "ttfb", "transfer"]
    assert "HTTP/2 200 from 198.18.3.2, total 11.3 ms" in lines


def test_mail_html_is_escaped_self_contained_and_colours_rtt_cells() -> None:
    page = mail_html(ping_report(HOSTILE, agent="a\"b'<c>"))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "a&amp;amp;b.example" in page
    assert "a&quot;b&#x27;&lt;c&gt;" in page
    assert not re.search(r"(src|href)\s*=|url\(|<style|<link|<img|@import", page)
    assert page.count(f"background:{css(GREEN)}") >= len(HOSTILE)  # each target's cell
    assert f"background:{css(GREY)}" in page  # the legend's "no answer"
    assert well_formed(page.split("<!DOCTYPE html>\n", 1)[1].replace('<meta charset="utf-8">', ""))


def test_mail_html_of_every_recorded_stream_says_what_the_text_part_says() -> None:
    for command in ("ping", "tcping", "traceroute", "mtr", "dns", "http", "scan"):
        rep = report(command, Snapshot.of(load(command)), WHEN)
        page = html.unescape(mail_html(rep))
        for section in rep.sections:
            assert section.title in page
            assert section.title in report_text(rep)


def test_a_live_ping_page_shows_each_reply_and_the_statistics_when_they_fit() -> None:
    text = live_page("ping", Snapshot.of(load("ping")))
    assert text.count("64 bytes from 198.18.3.2: icmp_seq=") == 4
    assert text.count("packets transmitted") == 3
    assert "[local 198.18.3.2]" not in text  # one agent: the tool's own lines name the target
    assert "<b>avg RTT (ms) / loss</b>" in text


def test_a_live_page_too_long_for_every_reply_falls_back_to_the_report() -> None:
    targets = [f"198.18.3.{n}" for n in range(1, 80)]
    text = live_page("ping", Snapshot.of(retargeted("ping", targets)))
    assert utf16_length(text) <= LIMIT
    assert "bytes from" not in text
    assert "198.18.3.79" in text
    traceroute = live_page("traceroute", Snapshot.of(load("traceroute")))
    assert traceroute == telegram_html(report("traceroute", Snapshot.of(load("traceroute"))))
