"""Run one command as a measurement on this process's own probes: the local agent.

The stream always opens with ``measurement`` and closes with ``end``, whatever happens in
between; a failure becomes an ``error`` event with a stable code, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

from cloudping.commands import Command, format_command
from cloudping.errors import CloudpingError
from cloudping.events import Emit, EndEvent, ErrorEvent, Event, MeasurementEvent
from cloudping.ids import new_measurement_id
from cloudping.probes.env import ProbeEnv
from cloudping.probes.registry import PROBE_NAMES, probe_for

log = logging.getLogger(__name__)
Status = Literal["ok", "error", "cancelled"]


async def run_measurement(cmd: Command, env: ProbeEnv, emit: Emit) -> Status:
    """Run ``cmd`` on ``env``, emitting the whole event stream; returns the end status."""
    measurement_id = new_measurement_id()
    started = time.monotonic()
    status: Status = "ok"

    def tracked(event: Event) -> None:
        nonlocal status
        if isinstance(event, ErrorEvent):
            status = "error"
        emit(event)

    tracked(MeasurementEvent(id=measurement_id, command=format_command(cmd), agents=(env.agent,)))
    try:
        probe = probe_for(cmd.command)
        if probe is None:
            available = ", ".join(PROBE_NAMES)
            raise CloudpingError(
                f"{cmd.command} is not available yet in this version (available: {available})",
                code="not_implemented",
            )
        await probe(cmd, env, tracked)
    except CloudpingError as exc:
        tracked(ErrorEvent(code=exc.code, message=exc.message, agent=env.agent))
    except asyncio.CancelledError:
        status = "cancelled"
        raise
    except Exception as exc:  # a bug: say so in the stream, keep the traceback in the log
        log.exception("measurement %s failed", measurement_id)
        tracked(ErrorEvent(code="internal_error", message=f"internal error: {type(exc).__name__}"))
    finally:
        elapsed = round((time.monotonic() - started) * 1000, 3)
        emit(EndEvent(id=measurement_id, status=status, duration_ms=elapsed))
    return status
