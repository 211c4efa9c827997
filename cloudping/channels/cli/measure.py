"""Run a parsed measurement on a runner (here or a hub) and print its events as they arrive.

Imported only once a command is to run, so that help and usage errors skip asyncio, the event
classes and the renderers; the probes (and their sockets) load only for a local run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from cloudping.channels.cli.exits import EXIT_ERROR, EXIT_NO_REPLY, EXIT_REPLIES
from cloudping.channels.cli.statusline import TICK_S, StatusDrawer, on_terminal
from cloudping.errors import CloudpingError
from cloudping.events import (
    ErrorEvent,
    Event,
    PingSummaryEvent,
    ScanEvent,
    ScanSummaryEvent,
    to_json_line,
)
from cloudping.events.verdict import answered
from cloudping.render import TextStyle, render
from cloudping.render.picture import PICTURES, picture
from cloudping.render.sofar import Missing, SoFar
from cloudping.render.terminal.status import StatusLine
from cloudping.render.terminal.text import render_held

if TYPE_CHECKING:
    from cloudping.commands import Command
    from cloudping.runner import Runner


@dataclass
class Printer:
    """Writes each event as it arrives (text or NDJSON) and remembers what decides the exit."""

    as_json: bool
    style: TextStyle
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    with_answer: int = 0
    results: int = 0
    events: list[Event] | None = None  # kept when a picture is drawn at the end
    so_far: SoFar = field(default_factory=SoFar)  # what a stream cut short showed
    # Per scan job: the addresses its text holds back for the summary's ranges.
    held: dict[tuple[str, str], list[ScanEvent]] = field(default_factory=dict)
    on_closed: Callable[[], object] | None = None  # stops the run when the reader has gone
    closed: bool = False
    status: StatusDrawer | None = None  # the progress line, when a person watches

    def __call__(self, event: Event) -> None:
        self._count(event)
        self.so_far.add(event)
        if self.status is not None:
            self.status.observe(event)
        if self.events is not None:
            self.events.append(event)
        if self.closed:
            return
        if self.as_json:
            self._write(to_json_line(event), self.out)
            return
        text = render(event, self.style)
        if text is not None:
            self._write(text, self.err if isinstance(event, ErrorEvent) else self.out)
        elif isinstance(event, ScanEvent):  # held back: said with the summary
            self.held.setdefault((event.agent, event.target), []).append(event)
        if isinstance(event, ScanSummaryEvent):
            self._held(event)

    def _held(self, summary: ScanSummaryEvent) -> None:
        """After a sweep's summary, the addresses the text held back, as ranges."""
        found = self.held.pop((summary.agent, summary.target), [])
        text = render_held(summary, found, self.style)
        if text is not None and not self.closed:
            self._write(text, self.out)

    def _count(self, event: Event) -> None:
        verdict = answered(event)
        if verdict is not None:
            self.results += 1
            self.with_answer += verdict

    def finish(self, elapsed_ms: float) -> None:
        """Say what the jobs left without a result showed, as ping's statistics on Ctrl-C:
        a stream the user or the hub stopped, or a connection that broke (counted for the
        exit status; printed as text only: NDJSON carries the events themselves)."""
        for result in self.so_far.results(elapsed_ms):
            if isinstance(result, PingSummaryEvent):
                self._count(result)
            if self.as_json or self.closed:
                continue
            if isinstance(result, Missing):
                message = f"no result arrived for {result.target} from {result.agent}"
                self._write(f"cloudping: {message}", self.err)
            elif (text := render(result, self.style)) is not None:
                self._write(text, self.out)

    def _write(self, text: str, to: TextIO) -> None:
        if self.status is not None:
            self.status.wipe()
        try:
            print(text, file=to, flush=True)
        except BrokenPipeError:  # `cloudping ... | head -1`: the reader has what it wanted
            self.closed = True
            # The interpreter flushes stdout once more at exit: let that go nowhere quietly.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), to.fileno())
            if self.on_closed is not None:
                self.on_closed()

    def exit_status(self) -> int:
        """0: some job got an answer; 1: jobs ran, none did; 2: no job ran at all."""
        if self.with_answer:
            return EXIT_REPLIES
        return EXIT_NO_REPLY if self.results else EXIT_ERROR


def measure(
    cmd: Command, runner: Runner, *, as_json: bool, png: str | None = None, verbose: bool = False
) -> int:
    """Run ``cmd`` on ``runner``, print it; returns the exit status."""
    if png is not None and cmd.command not in PICTURES:
        have = ", ".join(sorted(PICTURES))
        print(
            f"cloudping: {cmd.command} has no picture (--png works with: {have})", file=sys.stderr
        )
        return EXIT_ERROR
    targets = getattr(cmd, "targets", ())
    style = TextStyle(prefix_jobs=len(targets) > 1, verbose=verbose)
    printer = Printer(as_json=as_json, style=style)
    if on_terminal(as_json, printer.out, printer.err):
        printer.status = StatusDrawer(StatusLine(cmd), printer.err)
    printer.events = [] if png is not None else None
    # On Ctrl-C a local run's probes have already printed the statistics so far, as iputils
    # does; what a stream cut short left without them, the printer's finish() says.
    started = time.monotonic()
    failed = False
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_stoppable(runner.run(cmd, printer), printer))
    except CloudpingError as exc:
        print(f"cloudping: {exc}", file=sys.stderr)
        failed = True
    printer.finish((time.monotonic() - started) * 1000)
    status = EXIT_ERROR if failed else printer.exit_status()
    if png is not None and printer.events:
        return _write_picture(cmd.command, printer.events, png) or status
    return status


def _write_picture(command: str, events: list[Event], path: str) -> int | None:
    """Draw the picture of ``events`` into ``path`` (also after Ctrl-C: what was found so
    far); ``EXIT_ERROR`` when it could not be written."""
    try:
        Path(path).write_bytes(picture(command, events, datetime.now(UTC)))
    except (OSError, ValueError) as exc:
        print(f"cloudping: no picture written to {path}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return None


async def _stoppable(run: Coroutine[Any, Any, None], printer: Printer) -> None:
    """Run ``run``, cancelled once the printer's reader has gone (a closed pipe), with the
    progress line redrawn meanwhile and wiped at the end."""
    task = asyncio.current_task()
    if task is not None:
        printer.on_closed = task.cancel
    ticker = asyncio.create_task(_tick(printer.status)) if printer.status else None
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await run
    finally:
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        if printer.status is not None:
            printer.status.wipe()
    if task is not None and printer.closed:
        task.uncancel()


async def _tick(status: StatusDrawer) -> None:
    """Redraw the progress line every ``TICK_S`` (its elapsed time moves without events)."""
    while True:
        status.draw()
        await asyncio.sleep(TICK_S)
