"""One message per measurement, edited in place as its events arrive.

:class:`LiveMessage` is the state behind a message (its runs, its buttons' key, what it shows);
:func:`drive` runs a measurement and keeps the message showing it, asking the pure scheduler
(:mod:`.pacing`) when to edit, until the final state is shown. The message is sent with the
first event, so a refused command gets the reason instead of a "running" message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from cloudping.commands import Command
from cloudping.errors import CloudpingError
from cloudping.events import Event, MeasurementEvent
from cloudping.render.pages.telegram import live_page
from cloudping.render.snapshot import Snapshot
from cloudping.service import Caller, CommandService

from .buttons import AgentChoice, Keyboard, keyboard
from .journal import Entry, Journal
from .outbox import Done, Failed, Limited, Outbox
from .pacing import Pace, Send, Skip, decide
from .reading import ChatKind, is_group
from .recent import Recent
from .replies import refusal
from .settings import TelegramSettings

log = logging.getLogger(__name__)
MOST_CHATS = 10_000
MOST_FAILURES = 12  # edits failing in a row, backing off to a minute: ~8 minutes, then give up
BACKOFF_MOST_S = 60.0
PACE_TTL_S = 3600.0  # longer than any retry_after Telegram gives


@dataclass
class Run:
    """One measurement shown in a message: its command, for whom, what came back so far."""

    command: Command
    caller: Caller
    events: list[Event] = field(default_factory=list)
    snapshot: Snapshot = field(default_factory=Snapshot)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[str] | None = None
    measurement_id: str | None = None
    superseded: bool = False  # another run took the message over: show nothing more

    def take(self, event: Event) -> None:
        """The service's emit: keep the event and wake the driver."""
        if isinstance(event, MeasurementEvent):
            self.measurement_id = event.id
        self.events.append(event)
        self.snapshot.add([event])
        self.changed.set()

    @property
    def running(self) -> bool:
        return self.task is None or not self.task.done()


@dataclass
class LiveMessage:
    """What one message shows: the run in it, the agents its buttons offer, the last text."""

    key: str
    chat_id: int
    chat: ChatKind
    run: Run
    agents: tuple[AgentChoice, ...] = ()
    message_id: int | None = None
    page: int = 0
    shown: tuple[str, Keyboard | None] = ("", None)
    result_shown: bool = False
    failures: int = 0  # edits failed in a row (network, 5xx): backing off, then giving up

    def draw(self) -> tuple[str, Keyboard | None]:
        """The message as it should look now: the page and the buttons."""
        run = self.run
        text = live_page(run.command.command, run.snapshot)
        buttons = keyboard(
            self.key,
            run.command.command,
            self.agents,
            run.snapshot.agents,
            running=run.running,
            page=self.page,
        )
        return text, buttons


@dataclass
class Chats:
    """What every live message of the bot shares: where to write, the chats' budgets."""

    outbox: Outbox
    service: CommandService
    settings: TelegramSettings
    journal: Journal
    clock: Callable[[], float]  # monotonic seconds, for pacing
    wall: Callable[[], float]  # POSIX seconds, for "resets at"
    # A chat's budget matters for seconds (a 429's wait at most): bounded, and soon forgotten.
    paces: Recent[int, Pace] = field(default_factory=lambda: Recent(MOST_CHATS, PACE_TTL_S))

    def interval(self, chat: ChatKind) -> float:
        s = self.settings
        return s.group_edit_interval_s if is_group(chat) else s.edit_interval_s

    def pace(self, chat_id: int) -> Pace:
        return self.paces.get(chat_id, self.clock()) or Pace()

    def paced(self, chat_id: int, pace: Pace) -> None:
        self.paces.put(chat_id, pace, self.clock())


async def drive(chats: Chats, live: LiveMessage, run: Run) -> None:
    """Run ``run`` in ``live``'s message (sending the message first if it has none) and
    keep it showing the run until its final state is shown or another run takes over."""
    task = run.task or start(chats, run)
    try:
        await run.changed.wait()
        if not run.events:  # refused before anything ran: the reason instead of a result
            await _refused(chats, live, run)
            return
        if live.message_id is None and not await _first_message(chats, live):
            return
        await _journal(chats, live, run, add=True)
        await _follow(chats, live, run)
    finally:
        await _ended(task)


def start(chats: Chats, run: Run) -> asyncio.Task[str]:
    """Start ``run``'s measurement (its events wake its driver)."""
    run.task = asyncio.create_task(chats.service.run(run.caller, run.command, run.take))
    run.task.add_done_callback(lambda _: run.changed.set())
    return run.task


async def _ended(task: asyncio.Task[str]) -> None:
    """Cancel the run if it still goes (the driver is leaving), and collect how it ended."""
    task.cancel()
    try:
        await task
    except (asyncio.CancelledError, CloudpingError):
        pass  # stopped, or refused (the chat was told)
    except Exception:
        log.exception("a measurement run failed")


async def _follow(chats: Chats, live: LiveMessage, run: Run) -> None:
    """Edit the message as the scheduler says, until the final state is shown."""
    assert live.message_id is not None
    while not run.superseded:
        run.changed.clear()
        drawn = live.draw()
        has_result = _has_result(run.snapshot)
        now = chats.clock()
        decision = decide(now, chats.pace(live.chat_id), chats.interval(live.chat),
                          repr(live.shown), repr(drawn),
                          first=has_result and not live.result_shown)  # fmt: skip
        if isinstance(decision, Skip):
            if not run.running:
                break
            await run.changed.wait()
        elif isinstance(decision, Send):
            if not await _edit(chats, live, drawn, has_result):
                return
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.changed.wait(), max(0.0, decision.until - now))
    if not run.superseded:
        await _journal(chats, live, run, add=False)


def _has_result(snapshot: Snapshot) -> bool:
    """Whether a result shows: a reply, hop, answer or error (a job's start is not one)."""
    jobs = snapshot.jobs.values()
    found = any(job.rows or job.hops or job.found or job.outcomes or job.errors for job in jobs)
    return found or snapshot.end is not None


async def _edit(chats: Chats, live: LiveMessage, drawn: tuple[str, Keyboard | None],
                has_result: bool) -> bool:  # fmt: skip
    """One edit; False when the message is gone (the run is stopped then)."""
    assert live.message_id is not None
    outcome = await chats.outbox.edit(live.chat_id, live.message_id, *drawn)
    now = chats.clock()
    pace = chats.pace(live.chat_id)
    if isinstance(outcome, Done):
        chats.paced(live.chat_id, pace.wrote(now))
        live.shown, live.result_shown = drawn, live.result_shown or has_result
        live.failures = 0
    elif isinstance(outcome, Limited):
        chats.paced(live.chat_id, pace.told_to_wait(now, outcome.retry_after_s))
    elif outcome.gone or live.failures + 1 >= MOST_FAILURES:
        if not outcome.gone:
            log.error("giving up on message %s in chat %s: %s", live.message_id, live.chat_id,
                      outcome.reason)  # fmt: skip
        await _journal(chats, live, live.run, add=False)
        return False
    else:  # a network error or a 5xx: try again later (backing off), with the latest state
        live.failures += 1
        wait = min(chats.interval(live.chat) * 2 ** (live.failures - 1), BACKOFF_MOST_S)
        chats.paced(live.chat_id, pace.told_to_wait(now, wait))
    return True


async def _first_message(chats: Chats, live: LiveMessage) -> bool:
    """Send the message (retrying after a 429); False if it cannot be sent."""
    while True:
        drawn = live.draw()
        outcome = await chats.outbox.send(live.chat_id, *drawn)
        now = chats.clock()
        if isinstance(outcome, Done):
            live.message_id, live.shown = outcome.message_id, drawn
            chats.paced(live.chat_id, chats.pace(live.chat_id).wrote(now))
            return True
        if isinstance(outcome, Failed):
            return False
        chats.paced(live.chat_id, chats.pace(live.chat_id).told_to_wait(now, outcome.retry_after_s))
        await asyncio.sleep(outcome.retry_after_s)  # Telegram said how long: nothing to watch


async def _refused(chats: Chats, live: LiveMessage, run: Run) -> None:
    assert run.task is not None
    if run.task.cancelled():
        return
    error = run.task.exception()
    if not isinstance(error, CloudpingError):
        log.error("a measurement failed before it started", exc_info=error)
        error = CloudpingError("the measurement could not start", code="internal")
    text = refusal(error, chats.wall())
    if live.message_id is None:
        await chats.outbox.send(live.chat_id, text)
    else:
        await chats.outbox.edit(live.chat_id, live.message_id, text)
        await _journal(chats, live, run, add=False)


async def _journal(chats: Chats, live: LiveMessage, run: Run, *, add: bool) -> None:
    assert live.message_id is not None
    if add and run.measurement_id is not None:
        entry = Entry(live.chat_id, live.message_id, run.measurement_id, run.caller.subject,
                      run.command.command)  # fmt: skip
        await asyncio.to_thread(chats.journal.add, entry)
    elif not add:
        await asyncio.to_thread(chats.journal.strike, live.chat_id, live.message_id)
