"""The progress line of a long run on a terminal: on stderr, redrawn in place (``\\r``), wiped
before any other line is written and at the end, so that nothing of it stays on the screen.

Only a person watching gets it: never with ``--json``, never when stdout or stderr is a pipe
or a file (what a script reads stays exactly the lines it always was).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from cloudping.events import Event
from cloudping.render.terminal.status import StatusLine

WIPE = "\r\x1b[K"  # to the line's start, then erase to its end (ECMA-48 EL)
TICK_S = 0.5  # how often the line is redrawn while nothing else is written
_COLUMNS = 80  # when the terminal does not say its width


def on_terminal(as_json: bool, out: TextIO, err: TextIO) -> bool:
    """True when a person watches: text output, stdout and stderr both terminals."""
    return not as_json and _is_tty(out) and _is_tty(err)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


@dataclass
class StatusDrawer:
    """Draws ``line`` on ``err`` with the time since ``started`` on ``clock``."""

    line: StatusLine
    err: TextIO
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    shown: bool = False

    def __post_init__(self) -> None:
        self.started = self.started or self.clock()

    def observe(self, event: Event) -> None:
        """Count one event of the stream (drawn at the next :meth:`draw`)."""
        self.line.observe(event)

    def draw(self) -> None:
        """Redraw the line in place, cut to the terminal's width (a wrapped line would leave
        its first part behind at the next ``\\r``)."""
        text = self.line.text(self.clock() - self.started)
        if text is None:
            return
        self.err.write(WIPE + text[: _width(self.err) - 1])
        self.err.flush()
        self.shown = True

    def wipe(self) -> None:
        """Erase the line, before another line is written or at the end."""
        if self.shown:
            self.err.write(WIPE)
            self.err.flush()
            self.shown = False


def _width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or _COLUMNS
    except (OSError, ValueError):
        return _COLUMNS
