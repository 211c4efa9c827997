"""A report as plain text lines: what an email's text part says, and what Telegram puts in
``<pre>`` blocks. Columns are padded to line up in a monospaced font; an RTT cell starts with
the scale's mark (:func:`~cloudping.render.colours.rtt_mark`), since text has no colour."""

from __future__ import annotations

from cloudping.render.budget import cut
from cloudping.render.colours import rtt_mark
from cloudping.render.reports.model import CELL_CHARS, Cell, Report, Table, Waterfall

BAR_CHARS = 24


def cell_text(cell: Cell) -> str:
    """The text of a cell, marked by the RTT scale when it carries an RTT."""
    text = cut(cell.text, CELL_CHARS)
    return f"{rtt_mark(cell.rtt_ms)} {text}" if cell.rtt else text


def table_lines(table: Table) -> list[str]:
    """The header and rows, columns padded, separated by two spaces."""
    rows = [list(table.header), *([cell_text(cell) for cell in row] for row in table.rows)]
    widths = [max(len(row[col]) for row in rows if col < len(row)) for col in range(len(rows[0]))]
    return ["  ".join(text.ljust(width) for text, width in zip(row, widths, strict=False)).rstrip()
            for row in rows]  # fmt: skip


def waterfall_lines(fall: Waterfall) -> list[str]:
    """A line per phase: its name, duration and a bar placed on the request's time axis."""
    scale = BAR_CHARS / fall.total_ms if fall.total_ms > 0 else 0.0
    lines = []
    for phase in fall.phases:
        start = round(phase.start_ms * scale)
        bar = "\N{FULL BLOCK}" * max(1, round(phase.length_ms * scale))
        lines.append(f"{phase.name:<8} {phase.length_ms:8.1f} ms  {' ' * start}{bar}")
    return lines


def report_text(report: Report) -> str:
    """The whole report as plain text (an email's text part)."""
    lines = [*report.heading]
    for section in report.sections:
        lines += ["", section.title]
        if isinstance(section, Table):
            lines += table_lines(section)
        else:
            lines += [*section.facts, *waterfall_lines(section)]
    if report.notes:
        lines += ["", *report.notes]
    return "\n".join(lines) + "\n"
