"""What the bot does with a command line from a chat: refuse, explain, answer, or measure.

Measurements become live messages (:mod:`.live`); the other commands are answered by the
command service, except ``token``, which the bot issues itself (in private chats only, to
users the operator named) through the hub's token registry.
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from cloudping.auth import DEFAULT_TTL
from cloudping.channels.plug import ChannelContext
from cloudping.commands import Command, TokenCommand, is_measurement, parse
from cloudping.errors import CloudpingError, UsageError
from cloudping.events import ScanSummaryEvent, from_dict
from cloudping.render.pages.telegram import live_page
from cloudping.render.picture import picture
from cloudping.render.snapshot import Snapshot
from cloudping.service import HOUR, Caller, SlidingWindow

from .access import Admitted, Refused, admit
from .buttons import AgentChoice
from .journal import Entry
from .live import Chats, LiveMessage, Run, drive, start
from .outbox import Done, Limited
from .reading import ChatKind, is_group
from .recent import Recent
from .replies import WELCOME, answer_text, refusal, usage_error

log = logging.getLogger(__name__)
Spawn = Callable[[Coroutine[Any, Any, None]], None]
MOST_MESSAGES = 2_000  # live messages whose buttons still work
MESSAGE_TTL_S = 24 * 3600.0  # after a day without a press, a message's buttons are stale
TOKEN_LABEL = "telegram"  # noqa: S105 (the label of tokens issued here)


class Requests:
    """Handles chat commands; keeps the state behind each live message (bounded)."""

    def __init__(self, chats: Chats, context: ChannelContext, spawn: Spawn) -> None:
        self.chats = chats
        self.context = context
        self.spawn = spawn
        self.lives: Recent[str, LiveMessage] = Recent(MOST_MESSAGES, MESSAGE_TTL_S)
        self.group_hour = SlidingWindow(HOUR)  # a group's measurements, whoever started them

    def admit(self, user_id: int, chat_id: int) -> Admitted | Refused:
        """Whether the user may use the bot (see :func:`.access.admit`)."""
        return admit(user_id, chat_id, self.chats.settings, self.chats.service.settings)

    async def handle(self, line: str, user_id: int, chat_id: int, chat: ChatKind) -> None:
        """Answer the command ``line`` a user sent in a chat."""
        who = self.admit(user_id, chat_id)
        if isinstance(who, Refused):
            await self.chats.outbox.send(chat_id, html.escape(who.reason, quote=False))
            return
        try:
            command = parse(line, limits=self.chats.service.settings.limits)
        except UsageError as exc:
            await self.chats.outbox.send(chat_id, usage_error(exc))
            return
        if is_measurement(command):
            await self.measure(command, who.caller, chat_id, chat)
        elif isinstance(command, TokenCommand):
            await self.token(command, who, chat_id, chat)
        else:
            await self.answer(command, who.caller, chat_id, line)

    async def answer(self, command: Command, caller: Caller, chat_id: int, line: str) -> None:
        """A command the service answers (help, list, version, ...)."""
        try:
            answer = await self.chats.service.answer(caller, command)
        except CloudpingError as exc:
            await self.chats.outbox.send(chat_id, refusal(exc, self.chats.wall()))
            return
        welcome = f"{WELCOME}\n" if line == "help" else ""
        await self.chats.outbox.send(chat_id, html.escape(welcome) + answer_text(answer.text))

    async def measure(self, command: Command, caller: Caller, chat_id: int, chat: ChatKind) -> None:
        """A new live message running ``command``."""
        agents = [
            AgentChoice(agent["name"], agent.get("country"))
            for agent in await self.chats.service.agents()
        ]
        key = secrets.token_urlsafe(6)
        live = LiveMessage(key, chat_id, chat, Run(command, caller), tuple(agents))
        self.lives.put(key, live, self.chats.clock())
        await self.show(live, live.run)

    async def show(self, live: LiveMessage, run: Run) -> None:
        """Drive ``run`` in ``live``'s message; a finished scan also sends its bitmap."""
        over = self._group_quota(live, run.caller)
        if over is not None:
            await self.chats.outbox.send(live.chat_id, refusal(over, self.chats.wall()))
            return
        if run.command.command != "scan":
            await drive(self.chats, live, run)
            return
        task = start(self.chats, run)
        async with asyncio.TaskGroup() as both:
            both.create_task(drive(self.chats, live, run))
            both.create_task(self.scan_photos(live, run, task))

    def _group_quota(self, live: LiveMessage, caller: Caller) -> CloudpingError | None:
        """The guest quota holds per group too (a group of guests is not a bigger guest);
        users the operator granted more are not counted. Counts the measurement if let in."""
        guest_quota = self.chats.service.settings.guest_quota
        if not is_group(live.chat) or caller.quota != guest_quota:
            return None
        chat, now, allowed = str(live.chat_id), self.chats.wall(), guest_quota.measurements_per_hour
        wait = self.group_hour.retry_after(chat, allowed, now)
        if wait is None:
            self.group_hour.record(chat, now)
            return None
        return CloudpingError(
            f"this group has started {allowed} measurements this hour, the most allowed",
            code="quota_exceeded",
            limit="measurements_per_hour_per_chat",
            allowed=allowed,
            retry_after_s=round(wait, 3),
            resets_at=round(now + wait, 3),
        )

    async def scan_photos(self, live: LiveMessage, run: Run, task: asyncio.Task[str]) -> None:
        """The sweep's bitmap as a photo, redrawn while it runs (every ``photo_interval_s``,
        within the chat's budget), then captioned with prefix, agent and alive count."""
        photo: int | None = None
        drawn = 0  # events drawn so far
        while not task.done():
            await asyncio.wait({task}, timeout=self.chats.settings.photo_interval_s)
            if not task.done() and len(run.events) > drawn and self._may_write(live.chat_id):
                drawn = len(run.events)
                photo = await self._scan_photo(live, run, photo, "scanning…")
        if run.snapshot.end is not None and not run.superseded:
            summaries = [e for e in run.events if isinstance(e, ScanSummaryEvent)]
            caption = "\n".join(
                f"{s.target} from {s.agent}: {s.alive} alive of {s.total}" for s in summaries
            )
            await self._scan_photo(live, run, photo, caption or "no scan result")

    def _may_write(self, chat_id: int) -> bool:
        return self.chats.pace(chat_id).blocked_until <= self.chats.clock()

    async def _scan_photo(self, live: LiveMessage, run: Run, photo: int | None,
                          caption: str) -> int | None:  # fmt: skip
        """Send the bitmap (or redraw the photo ``photo``); the photo's message id."""
        when = datetime.fromtimestamp(self.chats.wall(), UTC)
        try:
            png = await asyncio.to_thread(picture, "scan", list(run.events), when)
        except ValueError:
            return photo  # nothing scanned yet
        text = html.escape(caption, quote=False)
        if photo is None:
            outcome = await self.chats.outbox.photo(live.chat_id, png, text)
        else:
            outcome = await self.chats.outbox.edit_photo(live.chat_id, photo, png, text)
        now = self.chats.clock()
        if isinstance(outcome, Done):
            self.chats.paced(live.chat_id, self.chats.pace(live.chat_id).wrote(now))
            return outcome.message_id
        if isinstance(outcome, Limited):
            self.chats.paced(live.chat_id, self.chats.pace(live.chat_id).told_to_wait(
                now, outcome.retry_after_s))  # fmt: skip
        return photo

    async def picture(self, chat_id: int, run: Run, caption: str) -> None:
        """The PNG of ``run`` so far, sent as a photo."""
        when = datetime.fromtimestamp(self.chats.wall(), UTC)
        try:
            png = await asyncio.to_thread(picture, run.command.command, list(run.events), when)
        except (KeyError, ValueError):
            await self.chats.outbox.send(chat_id, "Nothing to draw yet.")
            return
        await self.chats.outbox.photo(chat_id, png, caption)

    async def stop_all(self, grace_s: float) -> None:
        """Cancel every running measurement (the hub is stopping), each message then shows
        its final state; bounded by ``grace_s``."""
        running = [
            live.run
            for live in self.lives.values()
            if live.run.running and live.run.measurement_id is not None
        ]
        cancels = [self.cancel(run) for run in running]
        if cancels:
            await asyncio.wait([asyncio.ensure_future(c) for c in cancels], timeout=grace_s)

    async def cancel(self, run: Run, caller: Caller | None = None) -> str | None:
        """Cancel ``run`` for ``caller`` (its own caller when None); the reason it could not
        be, or None."""
        if run.measurement_id is None or not run.running:
            return None
        try:
            await self.chats.service.cancel(caller or run.caller, run.measurement_id)
        except CloudpingError as exc:
            return exc.message
        return None

    async def token(
        self, command: TokenCommand, who: Admitted, chat_id: int, chat: ChatKind
    ) -> None:
        """``/token`` (issue) or ``/token revoke ID``: private chats, named users only."""
        if chat != "private":
            await self.chats.outbox.send(chat_id, "/token works in a private chat with me only.")
            return
        if not who.named:
            text = "Tokens go to the users the operator named (--telegram-allow, --telegram-grant)."
            await self.chats.outbox.send(chat_id, text)
            return
        if command.revoke is not None:
            text = await self._revoke(who.caller, command.revoke)
        else:
            text = await self._issue(who.caller)
        await self.chats.outbox.send(chat_id, text)

    async def _issue(self, caller: Caller) -> str:
        tokens, now = self.context.tokens, self.chats.wall()
        scopes = sorted(caller.scopes)

        def issue() -> str:
            return tokens.issue(caller.subject, "api", scopes=scopes, ttl=DEFAULT_TTL, now=now,
                                label=TOKEN_LABEL)  # fmt: skip

        token = await asyncio.to_thread(issue)
        jti = tokens.token_id(token)
        expires = datetime.fromtimestamp(now + DEFAULT_TTL, UTC).strftime("%Y-%m-%d %H:%M UTC")
        url = self.context.public_url or "https://HUB"
        return (
            f"<b>Your API/MCP token</b> (id <code>{jti}</code>, scopes {' '.join(scopes)}, "
            f"expires {expires}):\n<pre>{token}</pre>\n"
            f"Send it as <code>Authorization: Bearer TOKEN</code> to {html.escape(url)}/api/v1 "
            f"or to an MCP client, e.g.\n<pre>claude mcp add --transport http cloudping "
            f'{html.escape(url)}/mcp --header "Authorization: Bearer TOKEN"</pre>\n'
            f"Revoke it with /token revoke {jti}"
        )

    async def _revoke(self, caller: Caller, jti: str) -> str:
        tokens, now = self.context.tokens, self.chats.wall()
        record = await asyncio.to_thread(tokens.registry.get, jti)
        if record is None or record.subject != caller.subject:
            return f"No token <code>{html.escape(jti)}</code> of yours."
        await asyncio.to_thread(tokens.revoke, jti, now)
        return f"Token <code>{html.escape(jti)}</code> is revoked."

    async def recover(self) -> None:
        """Edit the messages a previous run left "running" to what the store says now."""
        entries = await asyncio.to_thread(self.chats.journal.load)
        for entry in entries:
            await self._recover(entry)

    async def _recover(self, entry: Entry) -> None:
        service = self.chats.service
        reader = Caller(entry.subject, frozenset(), service.settings.guest_quota)
        try:
            stored = await service.stored(reader, entry.measurement)
        except CloudpingError as exc:
            log.warning("no stored measurement for a running message: %s", exc.message)
        else:
            events = [from_dict(stored_event.event) for stored_event in stored.events]
            text = live_page(entry.command, Snapshot.of(events))
            outcome = await self.chats.outbox.edit(entry.chat, entry.message, text)
            if isinstance(outcome, Limited):
                await asyncio.sleep(outcome.retry_after_s)  # Telegram said how long
                await self.chats.outbox.edit(entry.chat, entry.message, text)
        await asyncio.to_thread(self.chats.journal.strike, entry.chat, entry.message)
