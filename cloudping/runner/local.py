"""The local runner: measurements on this machine's own probes, as iputils ping runs.

Without a hub there are no agents to list and no hub version: only this program's.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from cloudping import __version__
from cloudping.commands import MEASUREMENT_COMMANDS, Command, HelpCommand, IpinfoCommand
from cloudping.commands.answer import Answer, help_answer
from cloudping.errors import CloudpingError, UsageError
from cloudping.events import Emit, Event

if TYPE_CHECKING:
    from cloudping.ipinfo.router import Ipinfo
    from cloudping.ipinfo.setup import IpinfoSettings

LOCAL_SELECTION = "-s/--from selects agents of a hub: use --hub URL, or leave it out to run here"


class LocalRunner:
    """Runs each measurement in a fresh probe environment (ICMP sockets, resolver).

    Args:
        geoip: the local IP info files (``--geoip-city``, ``--geoip-asn``): they answer
            ``ipinfo`` and annotate the hops of a path, as a hub does.
    """

    def __init__(self, geoip: IpinfoSettings | None = None) -> None:
        self.geoip = geoip

    @cached_property
    def ipinfo(self) -> Ipinfo:
        """The providers, opened on first use (a ping never reads the files)."""
        from cloudping.ipinfo.setup import IpinfoSettings, build  # noqa: PLC0415 (the files)

        return build(self.geoip or IpinfoSettings())

    async def run(self, command: Command, emit: Emit) -> None:
        """Run ``command`` here; its stream always ends with ``end``.

        Raises:
            UsageError: ``command`` names agents (``-s``): only a hub has agents to choose.
        """
        if getattr(command, "from_", None) is not None:
            # Never run here in its place: the person asked for other vantage points.
            raise UsageError(LOCAL_SELECTION, word="-s")
        # The probes' environment (ICMP sockets, resolver) only once a measurement runs.
        from cloudping.measurement import run_measurement  # noqa: PLC0415
        from cloudping.probes.env import ProbeEnv  # noqa: PLC0415

        async with ProbeEnv() as env:
            await run_measurement(command, env, self._annotating(emit))

    def _annotating(self, emit: Emit) -> Emit:
        """``emit`` behind the annotation of every address, when files were named (without
        them a ping never opens a database)."""
        if self.geoip is None or (self.geoip.city is None and self.geoip.asn is None):
            return emit
        from cloudping.ipinfo.annotate import annotated  # noqa: PLC0415

        def annotating(event: Event) -> None:
            emit(annotated(event, self.ipinfo.local))

        return annotating

    async def answer(self, command: Command) -> Answer:
        """``version``, ``help`` and ``ipinfo`` (from the local files) here; the others need
        a hub.

        Raises:
            CloudpingError: ``needs_hub`` for ``list`` (agents are a hub's), ``not_implemented``
                for the rest.
        """
        if isinstance(command, IpinfoCommand):
            from cloudping.ipinfo.answer import ipinfo_answer  # noqa: PLC0415

            return await ipinfo_answer(self.ipinfo, command)
        if command.command == "version":
            return Answer("version", f"cloudping {__version__}", {"version": __version__})
        if isinstance(command, HelpCommand):
            return help_answer(command.topic)
        if command.command == "list":
            message = "list shows a hub's agents: give --hub URL (or set CLOUDPING_HUB)"
            raise CloudpingError(message, code="needs_hub", command="list")
        available = ", ".join(sorted(MEASUREMENT_COMMANDS))
        message = f"{command.command} is not available yet in this version (here: {available})"
        raise CloudpingError(message, code="not_implemented", command=command.command)
