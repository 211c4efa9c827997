"""The scan bitmap: one cell per address of the prefix, coloured by how (and how fast) it
answered; a pure function of a :class:`ScanResult` (or of the events), PNG bytes out.

Cells go row-major by offset in a square-ish grid of ``2**ceil(bits/2)`` columns, so a /24 is
16 x 16, a /16 256 x 256 and a /30 2 x 2. The cell size follows the grid (3 px at /16, up to
48 px), with 1 px gaps once cells are large enough to spare them. Rows are labelled with the
address of their first cell. The date is an argument: the renderer never reads the clock. The
font ships with the package, so no system font is needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from PIL import Image, ImageDraw

from cloudping.events import Event
from cloudping.render.colours import GREY, NO_ANSWER_LABEL, RGB, RTT_SCALE, rtt_step
from cloudping.render.picture.canvas import BACKGROUND, INK, Font, font, png
from cloudping.render.scanresult import ScanResult

UNREACHABLE: RGB = (117, 46, 164)
NO_ANSWER: RGB = GREY
NOT_PROBED: RGB = (255, 255, 255)
GAP: RGB = (224, 224, 224)
FRAME: RGB = (96, 96, 96)
LEGEND: tuple[tuple[str, RGB], ...] = (
    *((label, colour) for _, label, colour in RTT_SCALE),
    ("unreachable", UNREACHABLE),
    (NO_ANSWER_LABEL, NO_ANSWER),
    ("not probed", NOT_PROBED),
)
# Palette indexes of the one-byte-per-cell grid image.
_PALETTE: tuple[RGB, ...] = (NOT_PROBED, NO_ANSWER, UNREACHABLE, *(c for *_, c in RTT_SCALE))
_NOT_PROBED, _NO_ANSWER, _UNREACHABLE, _FIRST_STEP = 0, 1, 2, 3

GRID_PX = 768  # the grid's side it aims for
CELL_MIN, CELL_MAX, GAP_FROM = 2, 48, 8
MARGIN = 10
TITLE_PT, LABEL_PT = 14, 11


@dataclass(frozen=True, slots=True)
class Grid:
    """Where cells go: ``columns`` x ``rows`` cells of ``cell`` px, origin at (x, y)."""

    columns: int
    rows: int
    cell: int
    x: int = 0
    y: int = 0

    @property
    def width(self) -> int:
        return self.columns * self.cell

    @property
    def height(self) -> int:
        return self.rows * self.cell

    def box(self, offset: int) -> tuple[int, int, int, int]:
        """The pixel box (left, top, right, bottom; inclusive) of address ``offset``'s cell."""
        row, column = divmod(offset, self.columns)
        left, top = self.x + column * self.cell, self.y + row * self.cell
        return left, top, left + self.cell - 1, top + self.cell - 1


def grid_for(total: int) -> Grid:
    """The grid of a prefix of ``total`` addresses (a power of two), at the origin."""
    bits = max(0, total.bit_length() - 1)
    columns = 1 << math.ceil(bits / 2)
    cell = max(CELL_MIN, min(CELL_MAX, GRID_PX // columns))
    return Grid(columns, max(1, total // columns), cell)


def alive_colour(rtt_ms: float | None) -> RGB:
    """The colour of an address that answered in ``rtt_ms`` (unknown: the fastest step)."""
    return RTT_SCALE[_step(rtt_ms)][2]


def _step(rtt_ms: float | None) -> int:
    return 0 if rtt_ms is None else rtt_step(rtt_ms)


def scan_png(
    source: ScanResult | Iterable[Event],
    *,
    when: datetime | None = None,
    probed: int | None = None,
) -> bytes:
    """The scan bitmap as PNG bytes.

    Args:
        source: a folded result, or the events of a scan (finished or still running).
        when: the date printed in the header (UTC); none printed when ``None``.
        probed: how many addresses were probed so far, when the caller knows better than the
            events (a scan in progress).
    """
    result = (
        source if isinstance(source, ScanResult) else ScanResult.from_events(source, probed=probed)
    )
    return png(draw(result, when))


def stacked_png(events: Sequence[Event], *, when: datetime | None = None) -> bytes:
    """The bitmap of each scan job in ``events``, stacked top to bottom in the order the jobs
    started (one job: exactly :func:`scan_png`'s picture).

    Raises:
        ValueError: there is no scan in ``events``.
    """
    jobs = dict.fromkeys((e.agent, e.target) for e in events if e.agent and e.target)
    images = []
    for job in jobs:
        try:
            result = ScanResult.from_events(e for e in events if (e.agent, e.target) == job)
        except ValueError:  # a job that only failed: it swept nothing
            continue
        images.append(draw(result, when))
    if not images:
        raise ValueError("no scan in these events")
    size = (max(image.width for image in images), sum(image.height for image in images))
    stack = Image.new("RGB", size, BACKGROUND)
    top = 0
    for image in images:
        stack.paste(image, (0, top))
        top += image.height
    return png(stack)


def place(result: ScanResult, when: datetime | None) -> Grid:
    """Where :func:`draw` puts the grid of ``result``: right of the row labels, below the
    header (the header has one line more with a date)."""
    labels = _row_labels(result, grid_for(result.total))
    small = font(LABEL_PT)
    label_w = max((int(small.getlength(text)) for _, text in labels), default=0) + 6
    top = MARGIN + len(_header(result, when)) * (TITLE_PT + 4) + 6
    return _placed(grid_for(result.total), MARGIN + label_w, top)


def draw(result: ScanResult, when: datetime | None) -> Image.Image:
    """The scan bitmap as a Pillow image (RGB)."""
    header, grid = _header(result, when), place(result, when)
    title, small = font(TITLE_PT), font(LABEL_PT)
    width = max(grid.x + grid.width, *(int(title.getlength(t)) for t in header)) + MARGIN
    width = max(width, 360)
    legend_rows = _legend_layout(width, small)
    height = grid.y + grid.height + 10 + len(legend_rows) * (LABEL_PT + 8) + MARGIN
    image = Image.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    _draw_header(pen, header, title)
    _draw_labels(pen, _row_labels(result, grid), grid, small)
    image.paste(_cells(result, grid), (grid.x, grid.y))
    frame = [grid.x - 1, grid.y - 1, grid.x + grid.width, grid.y + grid.height]
    pen.rectangle(frame, outline=FRAME)  # outside the cells: shows the extent of unprobed ones
    _draw_legend(pen, legend_rows, grid.y + grid.height + 10, small)
    return image


def _placed(grid: Grid, x: int, y: int) -> Grid:
    return Grid(grid.columns, grid.rows, grid.cell, x, y)


def _header(result: ScanResult, when: datetime | None) -> list[str]:
    lines = [
        f"scan {result.network}" + (f" from {result.agent}" if result.agent else ""),
        f"reachable {len(result.alive)} / probed {result.probed} / total {result.total}"
        + (f"   unreachable {len(result.unreachable)}" if result.unreachable else ""),
    ]
    if when is not None:
        stamp = when if when.tzinfo else when.replace(tzinfo=UTC)
        lines.append(stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    return lines


def _row_labels(result: ScanResult, grid: Grid) -> list[tuple[int, str]]:
    """(row, address of its first cell) for every ``step``-th row, so labels never overlap."""
    step = 1
    while step * grid.cell < LABEL_PT + 3:
        step *= 2
    return [
        (row, str(result.network.network_address + row * grid.columns))
        for row in range(0, grid.rows, step)
    ]


def _cells(result: ScanResult, grid: Grid) -> Image.Image:
    """The grid: one palette pixel per address, scaled to cells (gaps drawn when large)."""
    data = bytearray([_NO_ANSWER]) * min(result.probed, result.total)
    data += bytearray([_NOT_PROBED]) * (result.total - len(data))
    for offset in result.unreachable:
        data[offset] = _UNREACHABLE
    for offset, rtt in result.alive.items():
        data[offset] = _FIRST_STEP + _step(rtt)
    small = Image.frombytes("P", (grid.columns, grid.rows), bytes(data))
    small.putpalette([channel for colour in _PALETTE for channel in colour])
    cells = small.convert("RGB").resize((grid.width, grid.height), Image.Resampling.NEAREST)
    if grid.cell >= GAP_FROM:
        _draw_gaps(ImageDraw.Draw(cells), _placed(grid, 0, 0))
    return cells


def _draw_gaps(pen: ImageDraw.ImageDraw, grid: Grid) -> None:
    for column in range(1, grid.columns):
        x = column * grid.cell
        pen.line([(x, 0), (x, grid.height - 1)], fill=GAP)
    for row in range(1, grid.rows):
        y = row * grid.cell
        pen.line([(0, y), (grid.width - 1, y)], fill=GAP)
    pen.rectangle([0, 0, grid.width - 1, grid.height - 1], outline=GAP)


def _draw_header(pen: ImageDraw.ImageDraw, header: Sequence[str], font: Font) -> None:
    for index, text in enumerate(header):
        pen.text((MARGIN, MARGIN + index * (TITLE_PT + 4)), text, fill=INK, font=font)


def _draw_labels(
    pen: ImageDraw.ImageDraw, labels: Sequence[tuple[int, str]], grid: Grid, font: Font
) -> None:
    for row, text in labels:
        # Centred on a large row; on small ones its top is level with the row's top.
        y = grid.y + row * grid.cell + (grid.cell if grid.cell >= LABEL_PT else LABEL_PT) // 2
        pen.text((grid.x - 6, y), text, fill=INK, font=font, anchor="rm")


def _legend_layout(width: int, font: Font) -> list[list[tuple[int, str, RGB]]]:
    """The legend's items, as (x, label, colour), flowed into rows that fit ``width``."""
    rows: list[list[tuple[int, str, RGB]]] = [[]]
    x = MARGIN
    for label, colour in LEGEND:
        item = LABEL_PT + 4 + int(font.getlength(label)) + 14
        if rows[-1] and x + item > width - MARGIN:
            rows.append([])
            x = MARGIN
        rows[-1].append((x, label, colour))
        x += item
    return rows


def _draw_legend(
    pen: ImageDraw.ImageDraw,
    rows: Sequence[Sequence[tuple[int, str, RGB]]],
    top: int,
    font: Font,
) -> None:
    for index, items in enumerate(rows):
        y = top + index * (LABEL_PT + 8)
        for x, label, colour in items:
            pen.rectangle([x, y, x + LABEL_PT, y + LABEL_PT], fill=colour, outline=INK)
            pen.text(
                (x + LABEL_PT + 4, y + LABEL_PT // 2 + 1), label, fill=INK, font=font, anchor="lm"
            )
