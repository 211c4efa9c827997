"""A picture for every measurement command, drawn from recorded lab streams and checked by
decoding the PNG: its size, the colour of known cells, text where a label is drawn."""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PIL import Image
from recorded import load, merged

from cloudping.commands import MEASUREMENT_COMMANDS
from cloudping.events import ErrorEvent, Event, PathSummaryEvent, PingSummaryEvent, Responder
from cloudping.render.colours import GREEN, GREY, ORANGE, PHASE_FILL, RED
from cloudping.render.picture import PICTURES, job_pictures, picture
from cloudping.render.picture.bitmap import scan_png
from cloudping.render.picture.card import Box, Layout, draw, layout
from cloudping.render.reports import Cell, Table, Waterfall, report
from cloudping.render.snapshot import Snapshot

WHEN = datetime(2026, 12, 8, 3, 0, 0, tzinfo=UTC)
RGB = tuple[int, int, int]


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def placed(command: str, events: Sequence[Event]) -> tuple[Image.Image, Layout]:
    """The decoded picture and where its cells are; the picture is the layout's drawing."""
    image = decode(picture(command, events, WHEN))
    rep = report(command, Snapshot.of(events), WHEN)
    assert image.tobytes() == draw(rep).tobytes()
    return image, layout(rep)


def fill(image: Image.Image, box: Box) -> RGB:
    """A cell's fill: a pixel inside its border, left of and above where text starts."""
    pixel = image.getpixel((box[0] + 2, box[1] + 2))
    assert isinstance(pixel, tuple)
    return (pixel[0], pixel[1], pixel[2])


def has_text(image: Image.Image, box: Box, background: RGB) -> bool:
    """Whether anything but the background is drawn inside the cell's border."""
    inside = image.crop((box[0] + 1, box[1] + 1, box[2], box[3]))
    return any(colour != background for _, colour in inside.getcolors(1 << 16) or [])


def test_every_measurement_command_has_a_picture() -> None:
    assert set(PICTURES) == MEASUREMENT_COMMANDS


@pytest.mark.parametrize("command", sorted(MEASUREMENT_COMMANDS))
def test_each_recorded_stream_draws_a_phone_sized_deterministic_png(command: str) -> None:
    events = load(command)
    image = decode(picture(command, events, WHEN))
    low = 360 if command == "scan" else 720  # the bitmap keeps its own (square) size
    assert low <= image.width <= 1080
    assert 100 < image.height < 2000
    assert picture(command, events, WHEN) == picture(command, events, WHEN)
    assert picture(command, events, WHEN) != picture(command, events, datetime(2027, 1, 1))


def test_ping_matrix_colours_each_cell_by_the_one_rtt_scale() -> None:
    # The lab answers in microseconds; "slow" and "far" are the same recording, slowed down.
    events = merged("ping", ("slow", 2000.0), ("far", 5000.0))
    image, where = placed("ping", events)
    # rows: header, 198.18.3.2, 2001:db8:3::2, 198.18.99.1 (a blackhole); columns: target,
    # local, slow, far
    assert [fill(image, where.cells[(0, 1, col)]) for col in (1, 2, 3)] == [GREEN, ORANGE, RED]
    assert [fill(image, where.cells[(0, 3, col)]) for col in (1, 2, 3)] == [GREY] * 3
    assert fill(image, where.cells[(0, 1, 0)]) == (255, 255, 255)  # the target's own cell
    assert has_text(image, where.cells[(0, 0, 2)], fill(image, where.cells[(0, 0, 2)]))
    assert has_text(image, where.cells[(0, 2, 1)], GREEN)


def test_ping_card_heads_with_command_agents_and_date() -> None:
    rep = report("ping", Snapshot.of(merged("ping", ("slow", 2.0))), WHEN)
    assert rep.heading == (
        "ping -i 0.2 -W 0.5 198.18.3.2 2001:db8:3::2 198.18.99.1",
        "agents: local, slow - ok in 1.1 s",
        "2026-12-08 03:00:00 UTC",
    )
    [table] = rep.sections
    assert isinstance(table, Table)
    assert [row[0].text for row in table.rows] == [
        "198.18.3.2", "2001:db8:3::2", "198.18.99.1"
    ]  # fmt: skip


def test_a_running_ping_shows_the_rows_so_far() -> None:
    events = load("ping")
    so_far = events[:8]  # three starts, then replies; no summary yet
    rep = report("ping", Snapshot.of(so_far), WHEN)
    assert "running (0/3 jobs done)" in rep.heading[1]
    table = rep.sections[0]
    assert isinstance(table, Table)
    cells = [row[1] for row in table.rows]
    assert cells[0].text == "0.066 ms 0% …"  # avg of seq 1 and 2: 0.0583, 0.0727
    assert cells[2] == Cell("…")  # the blackhole's job has started, no probe came back yet
    assert decode(picture("ping", so_far, WHEN)).width >= 720


def test_tcping_open_and_closed_ports_both_answered_green() -> None:
    image, where = placed("tcping", load("tcping"))
    assert [fill(image, where.cells[(0, row, 1)]) for row in (1, 2)] == [GREEN, GREEN]


def test_a_tcping_cell_whose_connects_were_all_refused_says_port_closed() -> None:
    events = [
        replace(event, open=0 if event.port == 9 else 3)
        if isinstance(event, PingSummaryEvent)
        else event
        for event in load("tcping")
    ]
    [table] = report("tcping", Snapshot.of(events), WHEN).sections
    assert isinstance(table, Table)
    assert [row[1].text for row in table.rows] == ["0.053 ms 0%", "0.186 ms port closed"]


@pytest.mark.parametrize("command", ["traceroute", "mtr"])
def test_hop_table_lists_each_hop_with_its_avg_coloured(command: str) -> None:
    image, where = placed(command, load(command))
    rows = {row for section, row, _ in where.cells if section == 0}
    assert rows == {0, 1, 2, 3}  # header + three hops: r1, r2, the target
    for row in (1, 2, 3):
        assert fill(image, where.cells[(0, row, 4)]) == GREEN  # avg
        assert has_text(image, where.cells[(0, row, 1)], (255, 255, 255))  # responders
        assert not has_text(image, where.cells[(0, row, 7)], (255, 255, 255))  # no ASN data


def test_mtr_in_progress_folds_its_rounds_so_far() -> None:
    events = load("mtr")[:6]  # round 1 and the first hop of round 2
    [table] = report("mtr", Snapshot.of(events), WHEN).sections
    assert isinstance(table, Table)
    rows = table.rows
    assert [row[0].text for row in rows] == ["1", "2", "3"]
    assert table.title.endswith("(running)")
    assert rows[0][3].text == "0.072"  # last: round 2's answer from r1


def test_dns_picture_lists_the_answer() -> None:
    image, where = placed("dns", load("dns"))
    [table] = report("dns", Snapshot.of(load("dns")), WHEN).sections
    assert isinstance(table, Table)
    assert [c.text for c in table.rows[0]] == [
        "answer", "www.lab.", "300", "A", "198.18.3.2"
    ]  # fmt: skip
    assert has_text(image, where.cells[(0, 1, 4)], (255, 255, 255))


def test_http_waterfall_bars_follow_each_other_in_phase_colours() -> None:
    image, where = placed("http", load("http"))
    bars = [where.cells[(0, n, 0)] for n in range(5)]
    for before, after in itertools.pairwise(bars):
        assert after[0] in (before[2], before[2] + 1)  # each phase starts where one ended
    names = ["dns", "connect", "tls", "ttfb", "transfer"]
    assert [fill(image, bar) for bar in bars] == [PHASE_FILL[name] for name in names]
    facts = report("http", Snapshot.of(load("http")), WHEN).sections[0]
    assert isinstance(facts, Waterfall)
    assert facts.facts == (
        "HTTP/2 200 from 198.18.3.2, total 11.3 ms",
        "TLS TLSv1.3, certificate 355405 days left",
    )


def test_scan_picture_is_the_bitmap_of_its_job() -> None:
    events = load("scan")
    assert picture("scan", events, WHEN) == scan_png(events, when=WHEN)


def test_a_job_that_never_started_takes_no_place_among_the_pictures() -> None:
    failed = ErrorEvent(code="agent_lost", message="gone", agent="a0", target="198.18.0.0/30")
    events = [failed, *load("scan")]
    assert job_pictures("scan", events, WHEN, most=1) == [picture("scan", load("scan"), WHEN)]


def test_no_job_is_nothing_to_draw() -> None:
    with pytest.raises(ValueError, match="no ping job"):
        picture("ping", load("ping")[:1], WHEN)


def test_hop_table_fills_asn_and_place_from_the_responders_the_hub_annotated() -> None:
    [summary] = [e for e in load("traceroute") if isinstance(e, PathSummaryEvent)]
    first, *rest = summary.hops
    responder = Responder(
        address=first.addresses[0], asn=64500, as_name="LAB-NET", country="DE", city="Berlin"
    )
    events = [replace(summary, hops=(replace(first, responders=(responder,)), *rest))]
    [table] = report("traceroute", Snapshot.of(events), WHEN).sections
    assert isinstance(table, Table)
    assert [cell.text for cell in table.rows[0][7:]] == ["AS64500 LAB-NET", "Berlin, DE"]
    assert [cell.text for cell in table.rows[1][7:]] == ["", ""]


def test_many_agents_wrap_into_tables_that_stay_phone_wide() -> None:
    agents = [(f"agent-{n}-with-a-rather-long-name.example", 1000.0 * n) for n in range(1, 7)]
    events = merged("ping", *agents)
    image, where = placed("ping", events)
    assert image.width <= 1080
    titles = [s.title for s in report("ping", Snapshot.of(events), WHEN).sections]
    assert titles == [
        "avg RTT (ms) / loss (agents 1-4 of 7)",
        "avg RTT (ms) / loss (agents 5-7 of 7)",
    ]
    assert fill(image, where.cells[(1, 1, 3)]) == RED  # agent 6: 0.070 ms x 6000
