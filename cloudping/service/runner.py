"""The command service as a :class:`~cloudping.runner.Runner` for one caller: what a channel
inside the hub's process (Telegram, email, the web page) runs through, with the same seam as
the CLI's local and hub runners."""

from __future__ import annotations

from cloudping.commands import Command
from cloudping.commands.answer import Answer
from cloudping.events import Emit
from cloudping.service.caller import Caller
from cloudping.service.commands import CommandService


class ServiceRunner:
    """Runs and answers every command for ``caller`` through ``service`` (quotas included)."""

    def __init__(self, service: CommandService, caller: Caller) -> None:
        self.service = service
        self.caller = caller

    async def run(self, command: Command, emit: Emit) -> None:
        """Run the measurement for the caller (see :meth:`CommandService.run`)."""
        await self.service.run(self.caller, command, emit)

    async def answer(self, command: Command) -> Answer:
        """Answer the command for the caller (see :meth:`CommandService.answer`)."""
        return await self.service.answer(self.caller, command)
