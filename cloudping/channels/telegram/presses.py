"""What a button press under a live message does: stop, again, mtr, picture, another agent,
another page of agents. A press whose message state is gone (too old, or from before a
restart) gets a short notice instead."""

from __future__ import annotations

import html

from telegram import CallbackQuery

from cloudping.commands import Command, MtrCommand, Selection, format_command, targets_of
from cloudping.service import Caller

from .access import Refused
from .buttons import Press, read_press
from .live import LiveMessage, Run
from .requests import Requests

STALE = "This button has expired: send the command again."
NOT_YOURS = "Only who asked for this result can change it: press Again for your own."


class Presses:
    """Acts on button presses for the live messages of :class:`Requests`."""

    def __init__(self, requests: Requests) -> None:
        self.requests = requests

    async def press(self, query: CallbackQuery) -> None:
        """Answer one press (every press is answered, or the client shows a spinner)."""
        outbox = self.requests.chats.outbox
        press = read_press(query.data or "")
        live = None if press is None else self.requests.lives.get(press.key, self._now())
        message = query.message
        if (
            press is None
            or live is None
            or message is None
            or message.message_id != live.message_id
        ):
            await outbox.answer_press(query.id, STALE)
            return
        who = self.requests.admit(query.from_user.id, live.chat_id)
        if isinstance(who, Refused):
            await outbox.answer_press(query.id, who.reason[:200])
            return
        await self._act(query.id, press, live, who.caller)

    async def _act(self, query_id: str, press: Press, live: LiveMessage, caller: Caller) -> None:
        requests, outbox = self.requests, self.requests.chats.outbox
        run = live.run
        if press.action in ("stop", "agent", "page") and not caller.may_read(run.caller.subject):
            await outbox.answer_press(query_id, NOT_YOURS)  # a group's message is its asker's
            return
        if press.action == "stop":
            problem = await requests.cancel(run, caller)
            await outbox.answer_press(query_id, problem[:200] if problem else "Stopped.")
        elif press.action == "picture":
            await outbox.answer_press(query_id, "Drawing…")
            await requests.picture(live.chat_id, run, html.escape(format_command(run.command)))
        elif press.action == "page":
            await outbox.answer_press(query_id)
            live.page = press.number
            await self._redraw(live)
        elif press.action == "agent":
            await self._agent(query_id, press.number, live, caller)
        else:
            command = run.command if press.action == "again" else _mtr(run.command)
            await outbox.answer_press(query_id, f"Running {command.command}…")
            requests.spawn(requests.measure(command, caller, live.chat_id, live.chat))

    async def _agent(self, query_id: str, index: int, live: LiveMessage, caller: Caller) -> None:
        requests, outbox = self.requests, self.requests.chats.outbox
        if not 0 <= index < len(live.agents):
            await outbox.answer_press(query_id, STALE)
            return
        name = live.agents[index].name
        await outbox.answer_press(query_id, f"Running from {name}…")
        old = live.run
        old.superseded = True
        old.changed.set()
        await requests.cancel(old, caller)
        selection = Selection(selectors=((name,),))
        command: Command = old.command.model_copy(update={"from_": selection})
        live.run, live.result_shown = Run(command, caller), False
        requests.spawn(requests.show(live, live.run))

    async def _redraw(self, live: LiveMessage) -> None:
        if live.message_id is None:
            return
        drawn = live.draw()
        await self.requests.chats.outbox.edit(live.chat_id, live.message_id, *drawn)
        live.shown = drawn

    def _now(self) -> float:
        return self.requests.chats.clock()


def _mtr(command: Command) -> Command:
    """mtr to the (first) target of a ping or traceroute, from the same agents."""
    from_ = getattr(command, "from_", None)
    return MtrCommand(target=targets_of(command)[0], from_=from_)
