"""Running a command for a caller, the one way every channel does it: quotas, then the hub.

The HTTP API and MCP share one :class:`MeasurementService`, so a subject's measurements per
hour are counted once, whichever channel started them.
"""

from __future__ import annotations

import hmac

from cloudping.commands import Command
from cloudping.events import Emit
from cloudping.hub import Hub
from cloudping.service.admission import Admission
from cloudping.service.caller import Caller
from cloudping.service.settings import ApiSettings
from cloudping.store import MeasurementStore, StoredMeasurement
from cloudping.store.model import not_found


class MeasurementService:
    """Admits a caller's command, runs it on the hub, and reads back what the caller may see."""

    def __init__(self, hub: Hub, store: MeasurementStore, settings: ApiSettings) -> None:
        self.hub = hub
        self.store = store
        self.settings = settings
        self._admission = Admission(hub)

    async def run(self, caller: Caller, command: Command, emit: Emit) -> str:
        """Run ``command`` for ``caller``, emitting its stream; returns the measurement id.

        Cancelling the awaiting task cancels the measurement (see :meth:`Hub.run`).

        Raises:
            CloudpingError: before any event: ``scope_missing`` (no ``measure`` scope),
                ``quota_exceeded``, ``no_agent_matched``, ``not_a_measurement``.
        """
        caller.require("measure")
        await self._admission.admit(caller, command, self.settings.clock())
        return await self.hub.run(command, caller.subject, emit, private=caller.private)

    async def start(self, caller: Caller, command: Command, *, read_key: str | None = None) -> str:
        """Start ``command`` in the background for ``caller``; its id at once. ``read_key``:
        the key that will let others read it (the hub makes one when not given).

        Raises:
            CloudpingError: as :meth:`run`.
        """
        caller.require("measure")
        await self._admission.admit(caller, command, self.settings.clock())
        return await self.hub.start(
            command, caller.subject, private=caller.private, read_key=read_key
        )

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


def _opens(key: str | None, read_key: str | None) -> bool:
    """Whether ``key`` is the measurement's read key, compared in constant time (a timing
    difference would let the key be found byte by byte)."""
    if key is None or read_key is None:
        return False
    return hmac.compare_digest(key.encode(), read_key.encode())
