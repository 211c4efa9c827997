"""A measurement as a report: tables and waterfalls, the one shape every medium draws.

A report holds text and numbers, not pixels or markup: the PNG card, Telegram's HTML and the
email's plain text and HTML each lay it out for their medium, so the three always agree.
A cell that carries an RTT is coloured with the one scale (:mod:`cloudping.render.colours`).
"""

from __future__ import annotations

from dataclasses import dataclass

# Most characters of a cell any medium shows (a long name is cut, with an ellipsis): keeps a
# PNG card near 1080 px and a chat table within a phone's width.
CELL_CHARS = 40


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell; ``rtt`` says it is coloured by ``rtt_ms`` (``None``: no answer)."""

    text: str
    rtt: bool = False
    rtt_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table: a header row and rows of cells."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase of a request, from ``start_ms`` for ``length_ms`` (an HTTP waterfall bar)."""

    name: str
    start_ms: float
    length_ms: float


@dataclass(frozen=True, slots=True)
class Waterfall:
    """A request's phases on one time axis, with lines of facts above them."""

    title: str
    facts: tuple[str, ...]
    phases: tuple[Phase, ...]
    total_ms: float


Section = Table | Waterfall


@dataclass(frozen=True, slots=True)
class Report:
    """Heading lines (command, agents, date, state), sections, then notes (errors)."""

    heading: tuple[str, ...]
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()

    @property
    def has_rtt(self) -> bool:
        """Whether a cell is coloured by RTT (then the medium shows the scale's legend)."""
        tables = (section for section in self.sections if isinstance(section, Table))
        return any(cell.rtt for table in tables for row in table.rows for cell in row)
