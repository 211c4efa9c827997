"""The command service: every command of the grammar, for a caller, the one way every channel
does it. Measurements pass the quotas, then run on the hub; the other commands are answered
here (:mod:`cloudping.service.answers`).

The HTTP API and MCP share one :class:`CommandService`, so a subject's measurements per
hour are counted once, whichever channel started them.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from cloudping.commands import Command, IpinfoCommand, RouteCommand
from cloudping.commands.answer import Answer
from cloudping.errors import CloudpingError
from cloudping.events import Emit
from cloudping.hub import Hub
from cloudping.ipinfo.answer import ipinfo_answer
from cloudping.ipinfo.router import Ipinfo
from cloudping.routes.answer import route_answer
from cloudping.routes.lookup import RouteSources
from cloudping.service.admission import Admission
from cloudping.service.answers import answer
from cloudping.service.caller import Caller
from cloudping.service.directory import public_agents
from cloudping.service.follow import follow
from cloudping.service.settings import ApiSettings
from cloudping.store import FinalStatus, MeasurementStore, StoredEvent, StoredMeasurement
from cloudping.store.model import not_found

log = logging.getLogger(__name__)


class CommandService:
    """Runs or answers a caller's command, cancels its runs, reads back what it may see."""

    def __init__(
        self,
        hub: Hub,
        store: MeasurementStore,
        settings: ApiSettings,
        *,
        routes: RouteSources | None = None,
        ipinfo: Ipinfo | None = None,
    ) -> None:
        self.hub = hub
        self.store = store
        self.settings = settings
        self.routes = routes  # the BGP route store `route` reads (None: not set up here)
        # The hub's IP info providers (keys and files stay here); none: special ranges only.
        self.ipinfo = ipinfo or Ipinfo()
        self._admission = Admission(hub)

    async def run(
        self, caller: Caller, command: Command, emit: Emit, *, read_key: str | None = None
    ) -> str:
        """Run ``command`` for ``caller``, emitting its stream; returns the measurement id.
        ``read_key``: as for :meth:`start`.

        Cancelling the awaiting task cancels the measurement (see :meth:`Hub.run`).

        Raises:
            CloudpingError: before any event: ``scope_missing`` (no ``measure`` scope),
                ``quota_exceeded``, ``no_agent_matched``, ``not_a_measurement``.
        """
        with self._observed(caller):
            await self._admit(caller, command)
            return await self.hub.run(
                command, caller.subject, emit, private=caller.private, read_key=read_key
            )

    async def start(self, caller: Caller, command: Command, *, read_key: str | None = None) -> str:
        """Start ``command`` in the background for ``caller``; its id at once. ``read_key``:
        the key that will let others read it (the hub makes one when not given).

        Raises:
            CloudpingError: as :meth:`run`.
        """
        with self._observed(caller):
            await self._admit(caller, command)
            return await self.hub.start(
                command, caller.subject, private=caller.private, read_key=read_key
            )

    async def _admit(self, caller: Caller, command: Command) -> None:
        """The scope and the quotas; a refusal is one log line (who, which rule)."""
        try:
            caller.require("measure")
            await self._admission.admit(caller, command, self.settings.clock())
        except CloudpingError as exc:
            log.info(
                "%s for %s refused (%s): %s",
                command.command,
                caller.subject,
                exc.code,
                exc.message,
                extra={"code": exc.code},
            )
            raise

    def follow(self, measurement_id: str, after: int) -> AsyncIterator[dict[str, Any]]:
        """The stored events of a measurement the caller was let read (:meth:`stored`) after
        ``after``, then the new ones until it has ended (see :func:`follow`)."""
        interval = self.settings.follow_interval_s
        return follow(self.store, measurement_id, after, interval, self.is_running)

    async def events_since(
        self, measurement_id: str, after: int, limit: int
    ) -> tuple[StoredEvent, ...]:
        """A page of the stored events of a measurement the caller was let read
        (:meth:`stored`): at most ``limit`` after ``after``."""
        return await self.store.events_since(measurement_id, after, limit)

    def is_running(self, measurement_id: str) -> bool:
        """Whether the measurement runs in this hub now (a follower of one that does not, a
        crash's leftover, stops at the end of what is stored)."""
        return self.hub.is_running(measurement_id)

    async def stored(
        self,
        caller: Caller | None,
        measurement_id: str,
        *,
        events: bool = True,
        key: str | None = None,
    ) -> StoredMeasurement:
        """The stored measurement if the caller may see it, or ``key`` is its read key (then
        ``caller`` may be ``None``: a shared link needs no account). ``events=False``: without
        its events, see :meth:`MeasurementStore.get`.

        Raises:
            MeasurementNotFoundError: ``not_found``, also for someone else's measurement, so
                that ids cannot be probed for.
        """
        stored = await self.store.get(measurement_id, events=events)
        owned = caller is not None and caller.may_read(stored.subject)
        if not (owned or _opens(key, stored.read_key)):
            raise not_found(measurement_id)
        return stored

    async def agents(self) -> list[dict[str, Any]]:
        """Every live agent's public JSON, which anyone may see (``GET /agents``)."""
        return await public_agents(self.hub.registry, self.settings.expose_coordinates)

    async def answer(self, caller: Caller, command: Command) -> Answer:
        """The answer to a command that is not a measurement (``list``, ``version``, ...).

        Raises:
            CloudpingError: ``not_implemented``, ``token_not_issued``, ``is_a_measurement``
                (see :func:`cloudping.service.answers.answer`); for ``route``: ``no_routes``,
                ``bad_query`` (see :meth:`RouteSources.lookup`); for ``ipinfo``,
                ``scope_missing`` (``measure``), ``resolve_failed``, ``unknown_provider``.
        """
        with self._observed(caller):
            if isinstance(command, IpinfoCommand):
                # It may spend the hub's quota with paid providers: for those who may measure.
                caller.require("measure")
                return await ipinfo_answer(self.ipinfo, command)
            if isinstance(command, RouteCommand) and self.routes is not None:
                # SQLite reads files: off the event loop, so other channels keep being served.
                return await asyncio.to_thread(route_answer, self.routes, command)
            entries = await self.hub.registry.list()
            return answer(caller, command, entries, self.settings.expose_coordinates)

    async def cancel(self, caller: Caller, measurement_id: str) -> FinalStatus:
        """Cancel a running measurement of the caller's (any, for an admin); once its stream
        has ended, the status it was stored with.

        Raises:
            MeasurementNotFoundError: ``not_found``, as :meth:`stored`.
            CloudpingError: ``not_running`` (with its ``status``) when it is not running here.
        """
        owner = self.hub.owner(measurement_id)
        if owner is None or not caller.may_read(owner):
            stored = await self.stored(caller, measurement_id, events=False)
            message = f"measurement {stored.id} is not running (it is {stored.status})"
            raise CloudpingError(message, code="not_running", status=stored.status)
        self.hub.cancel(measurement_id)
        await self.hub.wait(measurement_id)
        final = (await self.store.get(measurement_id, events=False)).status
        assert final != "running", "a measurement's task ends after the store has its end"
        return final

    @contextmanager
    def _observed(self, caller: Caller) -> Iterator[None]:
        """Tell the hub's observer how a command of ``caller`` went: ``ok``, or its error
        code (a refusal by quota or scope counted as such too)."""
        observer = self.hub.observer
        try:
            yield
        except CloudpingError as exc:
            observer.request(caller.channel, exc.code)
            if exc.code in _REFUSALS:
                observer.refused(_REFUSALS[exc.code])
            raise
        observer.request(caller.channel, "ok")


# The error codes of the command service that are refusals, and the reason they count under.
_REFUSALS = {"quota_exceeded": "quota", "scope_missing": "scope"}


def _opens(key: str | None, read_key: str | None) -> bool:
    """Whether ``key`` is the measurement's read key, compared in constant time (a timing
    difference would let the key be found byte by byte)."""
    if key is None or read_key is None:
        return False
    return hmac.compare_digest(key.encode(), read_key.encode())
