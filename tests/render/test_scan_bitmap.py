"""The scan bitmap, decoded: size, cell colours, legend, header; no network."""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

import pytest
from PIL import Image

from cloudping.events import Event, StartEvent
from cloudping.events.model import ScanEvent, ScanSummaryEvent
from cloudping.render.colours import GREEN, rtt_colour
from cloudping.render.picture.bitmap import (
    LEGEND,
    NO_ANSWER,
    NOT_PROBED,
    UNREACHABLE,
    Grid,
    alive_colour,
    draw,
    grid_for,
    place,
    scan_png,
    stacked_png,
)
from cloudping.render.scanresult import ScanResult

WHEN = datetime(2026, 11, 25, 20, 31, 7, tzinfo=UTC)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def cell_colour(image: Image.Image, grid: Grid, offset: int) -> tuple[int, int, int]:
    left, top, right, bottom = grid.box(offset)
    pixel = image.getpixel(((left + right) // 2, (top + bottom) // 2))
    assert isinstance(pixel, tuple)
    return (pixel[0], pixel[1], pixel[2])


def placed_grid(result: ScanResult) -> Grid:
    """Where the renderer put the grid, checked against the image: the first cell's corner."""
    grid = place(result, WHEN)
    image = draw(result, WHEN)
    assert image.getpixel((grid.x - 1, grid.y - 1)) != image.getpixel((grid.x, grid.y))
    return grid


@pytest.mark.parametrize(
    ("total", "columns", "rows", "cell"),
    [(1, 1, 1, 48), (4, 2, 2, 48), (8, 4, 2, 48), (256, 16, 16, 48), (4096, 64, 64, 12),
     (65536, 256, 256, 3)],
)  # fmt: skip
def test_grid_is_square_ish_with_power_of_two_columns(
    total: int, columns: int, rows: int, cell: int
) -> None:
    grid = grid_for(total)
    assert (grid.columns, grid.rows, grid.cell) == (columns, rows, cell)
    assert grid.columns * grid.rows == total


def test_cells_go_row_major_by_offset() -> None:
    grid = Grid(columns=16, rows=16, cell=10, x=100, y=50)
    assert grid.box(0) == (100, 50, 109, 59)
    assert grid.box(17) == (110, 60, 119, 69)
    assert grid.box(255) == (250, 200, 259, 209)


@pytest.mark.parametrize(
    ("rtt", "colour_index"), [(0.2, 0), (99.9, 0), (100.0, 1), (249, 1), (250, 2), (900, 2)]
)
def test_cells_take_the_one_rtt_scale(rtt: float, colour_index: int) -> None:
    assert alive_colour(rtt) == rtt_colour(rtt) == LEGEND[colour_index][1]


def test_an_address_alive_with_no_rtt_is_green_not_grey() -> None:
    assert alive_colour(None) == GREEN
    assert LEGEND[4] == ("no answer", NO_ANSWER)


def synthetic(cidr: str, probed: int | None = None) -> ScanResult:
    network = ipaddress.ip_network(cidr)
    total = network.num_addresses
    alive: dict[int, float | None] = {0: 0.5, 1: 5.0}
    if total > 2:
        alive[total - 1] = 250.0
    unreachable = frozenset({2}) if total > 3 else frozenset()
    return ScanResult(network, "fra1", alive, unreachable, total if probed is None else probed)


@pytest.mark.parametrize("cidr", ["198.18.3.0/30", "198.18.3.0/24", "198.19.0.0/16"])
def test_png_cells_have_the_colour_of_their_address(cidr: str) -> None:
    result = synthetic(cidr)
    grid = placed_grid(result)
    image = decode(scan_png(result, when=WHEN))
    assert image.width >= grid.x + grid.width
    assert image.height > grid.y + grid.height
    assert cell_colour(image, grid, 0) == rtt_colour(0.5)
    assert cell_colour(image, grid, 1) == rtt_colour(5.0)
    assert cell_colour(image, grid, 2) == UNREACHABLE
    assert cell_colour(image, grid, result.total - 1) == rtt_colour(250.0)
    if result.total > 4:
        assert cell_colour(image, grid, 3) == NO_ANSWER


def test_a_sixteen_has_small_cells_and_a_readable_size() -> None:
    image = decode(scan_png(synthetic("198.19.0.0/16"), when=WHEN))
    assert grid_for(65536).cell in (2, 3)
    assert 768 <= image.width <= 1200
    assert 768 <= image.height <= 1200


def test_unprobed_addresses_of_a_scan_in_progress_are_white() -> None:
    result = synthetic("198.18.3.0/24", probed=100)
    grid = placed_grid(result)
    image = decode(scan_png(result, when=WHEN))
    assert cell_colour(image, grid, 99) == NO_ANSWER
    assert cell_colour(image, grid, 100) == NOT_PROBED
    assert cell_colour(image, grid, 254) == NOT_PROBED


def test_legend_shows_every_colour_below_the_grid() -> None:
    result = synthetic("198.18.3.0/24")
    grid = placed_grid(result)
    image = decode(scan_png(result, when=WHEN))
    below = image.crop((0, grid.y + grid.height + 2, image.width, image.height))
    colours = {colour for _, colour in below.getcolors(maxcolors=1 << 16) or []}
    for label, colour in LEGEND:
        assert colour in colours, label


def test_the_header_is_drawn_and_the_date_is_an_argument() -> None:
    result = synthetic("198.18.3.0/24")
    with_date = decode(scan_png(result, when=WHEN))
    without = decode(scan_png(result))
    assert with_date.height > without.height  # one more header line
    assert scan_png(result, when=WHEN) == scan_png(result, when=WHEN)  # no clock inside


def scan_events(
    cidr: str, found: Sequence[tuple[str, str, float]], agent: str = "local"
) -> list[Event]:
    events: list[Event] = [
        StartEvent(
            agent=agent, target=cidr, address=cidr, family=4, probe="scan", method="raw", size=56
        )
    ]
    for address, state, rtt in found:
        kind: Literal["alive", "unreachable"] = "alive" if state == "alive" else "unreachable"
        events.append(ScanEvent(agent=agent, target=cidr, address=address, state=kind, rtt_ms=rtt))
    return events


def test_result_folds_the_events_of_one_scan() -> None:
    events = scan_events("198.18.3.0/24", [("198.18.3.10", "alive", 0.2), ("198.18.3.7", "u", 1)])
    result = ScanResult.from_events(events)
    assert result.agent == "local"
    assert dict(result.alive) == {10: 0.2}
    assert result.unreachable == frozenset({7})
    assert result.probed == 11  # in progress: at least up to the highest answer
    summary = ScanSummaryEvent(
        agent="local", target="198.18.3.0/24", total=256, probed=256, alive=1, unreachable=1,
        alive_ranges=("198.18.3.10",), sent=300, rate_pps=1000.0, duration_ms=2000.0,
    )  # fmt: skip
    assert ScanResult.from_events([*events, summary]).probed == 256
    assert ScanResult.from_events(events, probed=50).probed == 50


def test_png_from_events_colours_the_answers() -> None:
    events = scan_events("198.18.3.0/30", [("198.18.3.1", "alive", 0.2)])
    result = ScanResult.from_events(events, probed=4)
    grid = placed_grid(ScanResult(result.network, "local", {0: 0.5}, frozenset(), 4))
    image = decode(scan_png(events, when=WHEN, probed=4))
    assert cell_colour(image, grid, 1) == rtt_colour(0.2)
    assert cell_colour(image, grid, 0) == NO_ANSWER


def test_no_scan_in_the_events_is_an_error() -> None:
    with pytest.raises(ValueError, match="no scan"):
        ScanResult.from_events([])


def test_several_scan_jobs_are_stacked_in_the_order_they_started() -> None:
    first = scan_events("198.18.3.0/30", [("198.18.3.1", "alive", 0.2)])
    second = scan_events("198.18.4.0/30", [("198.18.4.2", "alive", 300.0)], agent="ams1")
    one = decode(stacked_png(first, when=WHEN))
    both = decode(stacked_png([*first, *second], when=WHEN))
    assert stacked_png(first, when=WHEN) == scan_png(first, when=WHEN)
    assert both.height == 2 * one.height
    assert both.crop((0, 0, one.width, one.height)).tobytes() == one.tobytes()
    with pytest.raises(ValueError, match="no scan"):
        stacked_png([], when=WHEN)
