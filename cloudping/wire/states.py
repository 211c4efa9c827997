"""The state rules of the protocol, as tables (h11's ``_state.py`` habit).

Each table maps (state, who sends, what) to what comes next; a pair not in a table is a
protocol error: a :class:`~cloudping.wire.errors.WireError` when the peer sent it, a
:class:`~cloudping.wire.errors.LocalProtocolError` when this side tried to. Both sides of a
connection run the same table, so they agree on the state after every message.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Final

from cloudping.wire.messages import (
    Accept,
    Attributes,
    Cancel,
    ControlMessage,
    Heartbeat,
    HeartbeatAck,
    Hello,
    JobEnd,
    JobEvent,
    JobMessage,
    JobOffer,
    Refuse,
)


class Role(Enum):
    """Which end of a connection: the hub listens, the agent dials out."""

    HUB = "hub"
    AGENT = "agent"

    @property
    def peer(self) -> Role:
        """The other end."""
        return Role.AGENT if self is Role.HUB else Role.HUB


class ControlState(Enum):
    """The control stream's state, the same on both sides."""

    HELLO_WAIT = "hello_wait"  # connected; the agent has not said hello
    HELLO_SENT = "hello_sent"  # the hub has the hello and decides
    OPEN = "open"  # accepted: heartbeats, attributes and jobs flow
    CLOSED = "closed"  # refused or expired: nothing counts any more
    ERROR = "error"  # the peer broke the protocol; the hub may still say why (a refuse)


_W, _S, _O = ControlState.HELLO_WAIT, ControlState.HELLO_SENT, ControlState.OPEN
_C, _E = ControlState.CLOSED, ControlState.ERROR
HUB, AGENT = Role.HUB, Role.AGENT

CONTROL_TRANSITIONS: Final[
    Mapping[tuple[ControlState, Role, type[ControlMessage]], ControlState]
] = {
    # Before its hello is accepted an agent may say nothing but hello (design.md: nothing an
    # agent announces counts before then).
    (_W, AGENT, Hello): _S,
    (_S, HUB, Accept): _O,
    (_S, HUB, Refuse): _C,
    (_W, HUB, Refuse): _C,  # no hello came in time, or it could not be read
    (_O, AGENT, Heartbeat): _O,
    (_O, HUB, HeartbeatAck): _O,
    (_O, AGENT, Attributes): _O,
    (_O, HUB, Refuse): _C,  # token revoked, hub shutting down, the agent broke the protocol
    (_E, HUB, Refuse): _C,  # after a protocol error the hub says why, then closes
}


class JobState(Enum):
    """One job stream's state, the same on both sides."""

    IDLE = "idle"  # the stream exists, no offer yet
    RUNNING = "running"
    CANCELLING = "cancelling"  # cancelled (or abandoned); waiting for the end or the reset
    DONE = "done"
    ERROR = "error"


_I, _R, _X, _D = JobState.IDLE, JobState.RUNNING, JobState.CANCELLING, JobState.DONE

JOB_TRANSITIONS: Final[Mapping[tuple[JobState, Role, type[JobMessage]], tuple[JobState, bool]]] = {
    # value: (next state, delivered?) - a message not delivered is dropped silently on both
    # sides: sending it gives no bytes, receiving it gives no event.
    (_I, HUB, JobOffer): (_R, True),
    (_R, AGENT, JobEvent): (_R, True),
    (_R, AGENT, JobEnd): (_D, True),
    (_R, HUB, Cancel): (_X, True),
    # After a cancel the hub wants nothing more: what was in flight is dropped, not an error.
    (_X, AGENT, JobEvent): (_X, False),
    (_X, AGENT, JobEnd): (_D, False),
    (_X, HUB, Cancel): (_X, False),
    # A cancel that crossed the job's end on the wire is ignored.
    (_D, HUB, Cancel): (_D, False),
}
