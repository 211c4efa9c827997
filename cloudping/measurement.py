"""Run one command as a measurement on this process's own probes: the local agent.

The stream always opens with ``measurement`` and closes with ``end``, whatever happens in
between (:class:`~cloudping.events.frame.StreamFrame`); a failure becomes an ``error`` event
with a stable code, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time

from cloudping.commands import Command, format_command
from cloudping.errors import CloudpingError
from cloudping.events import Emit, ErrorEvent, Event
from cloudping.events.frame import StreamFrame
from cloudping.events.status import EndStatus
from cloudping.ids import new_measurement_id
from cloudping.probes.env import ProbeEnv
from cloudping.probes.registry import PROBE_NAMES, probe_for

log = logging.getLogger(__name__)


async def run_measurement(cmd: Command, env: ProbeEnv, emit: Emit) -> EndStatus:
    """Run ``cmd`` on ``env``, emitting the whole event stream; returns the end status."""
    frame = StreamFrame(new_measurement_id(), time.monotonic())

    def tracked(event: Event) -> None:
        frame.saw(event)
        emit(event)

    tracked(frame.opening(format_command(cmd), (env.agent,)))
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
        tracked(ErrorEvent.of(exc, agent=env.agent))
    except asyncio.CancelledError:
        frame.cancel()
        raise
    except Exception as exc:  # a bug: say so in the stream, keep the traceback in the log
        log.exception("measurement %s failed", frame.id)
        emit(frame.internal_error(exc))
    finally:
        emit(frame.ending(time.monotonic()))
    return frame.status
