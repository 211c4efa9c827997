"""A report as one Telegram message in HTML parse mode, within Telegram's length limit.

Only the tags Telegram allows are used (``b``, ``i``, ``code``, ``pre``; Bot API "Formatting
options"), and every string that comes from a user, a target or an agent is escaped (``<``,
``>``, ``&``; the Bot API names exactly these three). Tables and waterfalls go in ``<pre>``
so that their columns line up.

Telegram counts a message's 4,096 characters in UTF-16 code units (an emoji outside the BMP is
two) after entities are parsed, so markup is free; counting the markup too keeps the rule
simple and the cut on the safe side. A message too long is cut at a line boundary, never in a
tag or an entity, an open ``<pre>`` is closed, and a last line says how many lines were left
out. A single line longer than the whole limit is shortened before it is escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from cloudping.render.pages.plain import table_lines, waterfall_lines
from cloudping.render.reports import report
from cloudping.render.reports.model import Report, Table
from cloudping.render.snapshot import Snapshot
from cloudping.render.terminal.text import TextStyle, render

LIMIT = 4096
STUMP = 40  # the least room (UTF-16 units) worth a shortened line
TRANSCRIBED = ("ping", "tcping")  # commands whose every reply is worth a line in a chat


@dataclass(frozen=True, slots=True)
class _Block:
    """Lines (each plain text) shown in one tag (``pre``, ``b``, ``i`` or none)."""

    tag: str
    lines: tuple[str, ...]


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def telegram_html(report: Report, limit: int = LIMIT, transcript: tuple[str, ...] = ()) -> str:
    """The message text of ``report`` (parse mode HTML), at most ``limit`` UTF-16 units;
    ``transcript``: lines shown in a ``<pre>`` under the heading."""
    blocks = _blocks(report, transcript)
    whole = "\n".join(_whole(b) for b in blocks)
    return whole if utf16_length(whole) <= limit else _fit(blocks, limit)


def live_page(command: str, snapshot: Snapshot, limit: int = LIMIT) -> str:
    """The message of a measurement of ``command`` so far: with each reply and the
    statistics when ``command`` is one of :data:`TRANSCRIBED` and they fit, else the report
    alone (cut with a note when even that is too long)."""
    drawn = report(command, snapshot)
    if command in TRANSCRIBED and snapshot.jobs:
        whole = "\n".join(_whole(b) for b in _blocks(drawn, transcript(snapshot)))
        if utf16_length(whole) <= limit:
            return whole
    return telegram_html(drawn, limit)


def transcript(snapshot: Snapshot) -> tuple[str, ...]:
    """What the Unix tool prints for each job, job after job (each line prefixed by its job
    when several agents ran: the tool's own lines name only the target)."""
    style = TextStyle(prefix_jobs=len({agent for agent, _ in snapshot.jobs}) > 1)
    lines: list[str] = []
    for job in snapshot.jobs.values():
        events = [*([job.start] if job.start else []), *job.rows, *job.outcomes]
        lines += [text for event in events if (text := render(event, style)) is not None]
    return tuple("\n".join(lines).split("\n"))


def _whole(block: _Block) -> str:
    return _open(block.tag) + _escaped(block.lines) + _close(block.tag)


def _escaped(lines: tuple[str, ...]) -> str:
    return "\n".join(html.escape(line, quote=False) for line in lines)


def _blocks(report: Report, transcript: tuple[str, ...] = ()) -> list[_Block]:
    heading, *rest = report.heading or ("",)
    blocks = [_Block("b", (heading,)), _Block("", tuple(rest)), _Block("pre", transcript)]
    for section in report.sections:
        blocks.append(_Block("b", (section.title,)))
        if isinstance(section, Table):
            blocks.append(_Block("pre", tuple(table_lines(section))))
        else:
            blocks.append(_Block("", section.facts))
            blocks.append(_Block("pre", tuple(waterfall_lines(section))))
    blocks.append(_Block("i", report.notes))
    return [block for block in blocks if block.lines]


def _fit(blocks: list[_Block], limit: int) -> str:
    """Lines of ``blocks`` while they fit, then the note of how many more there were."""
    total = sum(len(block.lines) for block in blocks)
    out: list[str] = []
    used = shown = 0
    for block in blocks:
        opened = False
        for line in block.lines:
            left = total - shown - 1
            reserve = utf16_length(_note(left)) + len(_close(block.tag)) + 1 if left else 0
            piece = _open(block.tag) if not opened else ""
            room = limit - used - len(piece) - len(_close(block.tag)) - 1 - reserve
            text = _escaped_within(line, room)
            if text is None:
                return _finish(out, block.tag if opened else "", total - shown)
            out.append(piece + text)
            used += utf16_length(piece + text) + 1
            opened, shown = True, shown + 1
        if opened:
            out[-1] += _close(block.tag)
            used += len(_close(block.tag))
    return "\n".join(out)


def _escaped_within(line: str, room: int) -> str | None:
    """``line`` escaped, shortened when even alone it is too long; ``None``: no room at all."""
    text = html.escape(line, quote=False)
    if utf16_length(text) <= room:
        return text
    if room < STUMP:  # too little room left for a useful piece: cut before this line
        return None
    # The longest prefix that fits once escaped, with its ellipsis (escaping is monotonic).
    low, high = 0, len(line)
    while low < high:
        middle = (low + high + 1) // 2
        if utf16_length(html.escape(line[:middle], quote=False)) + 1 <= room:
            low = middle
        else:
            high = middle - 1
    return html.escape(line[:low], quote=False) + "…"


def _finish(out: list[str], open_tag: str, left: int) -> str:
    if open_tag:
        out[-1] += _close(open_tag)
    return "\n".join([*out, _note(left)])


def _note(left: int) -> str:
    return f"<i>… cut: {left} more lines</i>"


def _open(tag: str) -> str:
    return f"<{tag}>" if tag else ""


def _close(tag: str) -> str:
    return f"</{tag}>" if tag else ""
