"""A report drawn as a shareable PNG card: heading, tables, waterfalls, legend and notes.

Laid out for a phone: at least :data:`MIN_WIDTH` px wide, and cell texts cut to
:data:`CELL_CHARS` characters so that a card stays near 1080 px. :func:`layout` says where
every cell and bar goes (tests find cells by it); :func:`draw` paints that layout. RTT cells
take the one colour scale; a cell with no answer is grey.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from cloudping.render.budget import cut
from cloudping.render.colours import GREY, NO_ANSWER_LABEL, PHASE_FILL, RGB, RTT_SCALE, rtt_colour
from cloudping.render.picture.canvas import BACKGROUND, INK, font
from cloudping.render.reports.model import CELL_CHARS, Cell, Report, Table, Waterfall

Box = tuple[int, int, int, int]  # left, top, right, bottom (inclusive)
MIN_WIDTH = 720
TITLE_CHARS = 100  # headings, titles and notes
MARGIN, PAD = 16, 6
TITLE_PT, TEXT_PT = 16, 13
LINE, ROW = 22, 24
BAR_AREA = 420  # px of the waterfall's time axis
HEAD_FILL: RGB = (236, 236, 236)
RULE: RGB = (210, 210, 210)
NOTE_INK: RGB = (170, 30, 30)


@dataclass
class Layout:
    """Where things go: the card's size, each text line, each cell and each bar."""

    width: int = 0
    height: int = 0
    texts: list[tuple[int, int, str, RGB, int]] = field(default_factory=list)  # x, y, text
    cells: dict[tuple[int, int, int], Box] = field(default_factory=dict)  # section, row, column
    fills: list[tuple[Box, RGB]] = field(default_factory=list)
    rules: list[Box] = field(default_factory=list)


def layout(report: Report) -> Layout:
    """Place every part of ``report``; row 0 of a table is its header."""
    out = Layout()
    y = MARGIN
    for index, line in enumerate(report.heading):
        size = TITLE_PT if index == 0 else TEXT_PT
        out.texts.append((MARGIN, y, cut(line, TITLE_CHARS), INK, size))
        y += LINE + (4 if index == 0 else 0)
    width = MIN_WIDTH
    for index, section in enumerate(report.sections):
        y += LINE // 2
        if isinstance(section, Table):
            y, right = _table(out, index, section, y)
        else:
            y, right = _waterfall(out, index, section, y)
        width = max(width, right + MARGIN)
    if report.has_rtt:
        y = _legend(out, y + LINE // 2)
    for note in report.notes:
        out.texts.append((MARGIN, y, cut(note, TITLE_CHARS), NOTE_INK, TEXT_PT))
        y += LINE
    width = max(width, *(x + _text_width(t, size) + MARGIN for x, _, t, _, size in out.texts))
    out.width, out.height = width, y + MARGIN
    return out


def draw(report: Report) -> Image.Image:
    """The card of ``report`` as a Pillow image (RGB)."""
    where = layout(report)
    image = Image.new("RGB", (where.width, where.height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    for box, colour in where.fills:
        pen.rectangle(box, fill=colour)
    for box in where.rules:
        pen.rectangle(box, outline=RULE)
    for x, y, text, colour, size in where.texts:
        pen.text((x, y), text, fill=colour, font=font(size))
    return image


def _table(out: Layout, section: int, table: Table, y: int) -> tuple[int, int]:
    out.texts.append((MARGIN, y, cut(table.title, TITLE_CHARS), INK, TEXT_PT))
    y += LINE
    header = tuple(Cell(text) for text in table.header)
    rows = (header, *table.rows)
    widths = [
        max(_text_width(cut(row[col].text, CELL_CHARS), TEXT_PT) for row in rows if col < len(row))
        + 2 * PAD
        for col in range(len(table.header))
    ]
    for number, row in enumerate(rows):
        x = MARGIN
        for col, cell in enumerate(row):
            box = (x, y, x + widths[col] - 1, y + ROW - 1)
            out.cells[(section, number, col)] = box
            fill = HEAD_FILL if number == 0 else _fill(cell)
            if fill is not None:
                out.fills.append((box, fill))
            out.rules.append(box)
            ink = BACKGROUND if fill not in (None, HEAD_FILL, GREY) else INK
            out.texts.append((x + PAD, y + 4, cut(cell.text, CELL_CHARS), ink, TEXT_PT))
            x += widths[col]
        y += ROW
    return y, MARGIN + sum(widths)


def _fill(cell: Cell) -> RGB | None:
    return rtt_colour(cell.rtt_ms) if cell.rtt else None


def _waterfall(out: Layout, section: int, fall: Waterfall, y: int) -> tuple[int, int]:
    out.texts.append((MARGIN, y, cut(fall.title, TITLE_CHARS), INK, TEXT_PT))
    y += LINE
    for fact in fall.facts:
        out.texts.append((MARGIN + PAD, y, cut(fact, TITLE_CHARS), INK, TEXT_PT))
        y += LINE
    label_w = _text_width("transfer 9999.9 ms", TEXT_PT) + 2 * PAD
    left = MARGIN + label_w
    scale = BAR_AREA / fall.total_ms if fall.total_ms > 0 else 0.0
    for number, phase in enumerate(fall.phases):
        label = f"{phase.name} {phase.length_ms:.1f} ms"
        out.texts.append((MARGIN + PAD, y + 4, label, INK, TEXT_PT))
        start = left + round(phase.start_ms * scale)
        box = (start, y + 4, start + max(2, round(phase.length_ms * scale)) - 1, y + ROW - 5)
        out.cells[(section, number, 0)] = box
        out.fills.append((box, PHASE_FILL.get(phase.name, GREY)))
        y += ROW
    out.rules.append((left, y - ROW * len(fall.phases), left + BAR_AREA, y - 1))
    return y, left + BAR_AREA


def _legend(out: Layout, y: int) -> int:
    x = MARGIN
    items = [*((label, colour) for _, label, colour in RTT_SCALE), (NO_ANSWER_LABEL, GREY)]
    for label, colour in items:
        out.fills.append(((x, y + 3, x + TEXT_PT, y + 3 + TEXT_PT), colour))
        out.texts.append((x + TEXT_PT + 4, y + 2, label, INK, TEXT_PT))
        x += TEXT_PT + 4 + _text_width(label, TEXT_PT) + 18
    return y + LINE + 4


def _text_width(text: str, size: int) -> int:
    return int(font(size).getlength(text))
