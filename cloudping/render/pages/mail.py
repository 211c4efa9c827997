"""A report as an email's HTML part; its plain text part is :func:`.plain.report_text`.

The HTML is self-contained (inline styles only, no stylesheet, image or font to fetch: mail
clients block remote content and drop ``<style>``), every string escaped, tables as
``<table>``, RTT cells filled with the one colour scale and a waterfall's phases as bars.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from cloudping.render.budget import cut
from cloudping.render.colours import GREY, NO_ANSWER_LABEL, PHASE_FILL, RTT_SCALE, css, rtt_colour
from cloudping.render.reports.model import CELL_CHARS, Cell, Report, Table, Waterfall

FONT = "font-family:DejaVu Sans Mono,Menlo,Consolas,monospace;font-size:13px"
CELL = "border:1px solid #d2d2d2;padding:3px 6px;text-align:left"
WHITE_INK = "color:#ffffff"


def mail_html(report: Report) -> str:
    """The HTML part: a whole document."""
    return mail_document([mail_section(report)])


def mail_section(report: Report) -> str:
    """A report as a block of a mail's HTML part (several make one reply, see
    :func:`mail_document`)."""
    first, *rest = report.heading or ("",)
    parts = [f'<h2 style="{FONT};font-size:16px">{_e(first)}</h2>']
    parts += [f"<div>{_e(line)}</div>" for line in rest]
    for section in report.sections:
        parts.append(f'<h3 style="{FONT};font-size:14px">{_e(section.title)}</h3>')
        parts.append(_table(section) if isinstance(section, Table) else _waterfall(section))
    if report.has_rtt:
        parts.append(_legend())
    parts += [f'<p style="color:#aa1e1e">{_e(note)}</p>' for note in report.notes]
    return "\n".join(parts)


def mail_text_section(title: str, text: str) -> str:
    """A block of preformatted text under a title (an answer, a usage error, help)."""
    heading = f'<h2 style="{FONT};font-size:16px">{_e(title)}</h2>'
    return f'{heading}\n<pre style="{FONT}">{_e(text)}</pre>'


def mail_picture(cid: str, alt: str) -> str:
    """A picture carried in the mail itself (``cid:``, RFC 2392), never fetched."""
    return f'<p><img src="cid:{_e(cid)}" alt="{_e(alt)}" style="max-width:100%"></p>'


def mail_link(url: str, text: str) -> str:
    """A paragraph with one link."""
    return f'<p><a href="{_e(url)}">{_e(text)}</a></p>'


def mail_document(blocks: Sequence[str]) -> str:
    """The HTML part: a whole document of ``blocks`` (from the functions above), in order."""
    body = "\n<hr>\n".join(blocks)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        f'<body style="{FONT};color:#202020;background:#ffffff">\n{body}\n</body></html>\n'
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _table(table: Table) -> str:
    head = "".join(f'<th style="{CELL};background:#ececec">{_e(t)}</th>' for t in table.header)
    rows = "".join(f"<tr>{''.join(map(_cell, row))}</tr>\n" for row in table.rows)
    return f'<table style="border-collapse:collapse;{FONT}">\n<tr>{head}</tr>\n{rows}</table>'


def _cell(cell: Cell) -> str:
    text = _e(cut(cell.text, CELL_CHARS))
    if not cell.rtt:
        return f'<td style="{CELL}">{text}</td>'
    colour = rtt_colour(cell.rtt_ms)
    ink = "" if colour == GREY else f";{WHITE_INK}"
    return f'<td style="{CELL};background:{css(colour)}{ink}">{text}</td>'


def _waterfall(fall: Waterfall) -> str:
    facts = "".join(f"<div>{_e(fact)}</div>" for fact in fall.facts)
    rows = []
    for phase in fall.phases:
        start = 100 * phase.start_ms / fall.total_ms if fall.total_ms > 0 else 0.0
        width = max(0.5, 100 * phase.length_ms / fall.total_ms if fall.total_ms > 0 else 0.0)
        colour = css(PHASE_FILL.get(phase.name, GREY))
        bar = (
            f'<div style="margin-left:{start:.1f}%;width:{width:.1f}%;height:12px;'
            f'background:{colour}"></div>'
        )
        rows.append(
            f'<tr><td style="{CELL}">{_e(phase.name)}</td>'
            f'<td style="{CELL};text-align:right">{phase.length_ms:.1f} ms</td>'
            f'<td style="{CELL};width:360px">{bar}</td></tr>'
        )
    table = "\n".join(rows)
    return f'{facts}<table style="border-collapse:collapse;{FONT}">\n{table}\n</table>'


def _legend() -> str:
    items = [*((label, colour) for _, label, colour in RTT_SCALE), (NO_ANSWER_LABEL, GREY)]
    swatches = "".join(
        f'<span style="display:inline-block;width:12px;height:12px;background:{css(colour)};'
        f'margin:0 4px 0 12px"></span>{_e(label)}'
        for label, colour in items
    )
    return f"<p>{swatches}</p>"
