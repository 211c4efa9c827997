"""The hub-agent wire protocol: sans-IO messages, framing and state machines, plus thin
bindings to QUIC (:mod:`cloudping.transport.quic`, imported on its own: it pulls in aioquic) and
to WebSocket (:mod:`cloudping.transport.ws`, where UDP is blocked), sharing one stream core
(:mod:`cloudping.transport.core`, :mod:`cloudping.transport.ends`).

- :mod:`~cloudping.wire.messages`: the messages, frozen dataclasses that check themselves.
- :mod:`~cloudping.wire.codec`: frames (length, type, JSON body) and ``FrameDecoder``.
- :mod:`~cloudping.wire.states`: the state rules as tables.
- :mod:`~cloudping.wire.connection`: ``ControlChannel`` (hello, heartbeats, deadlines).
- :mod:`~cloudping.wire.jobstream`: ``JobChannel`` (one per job: offer, events, end, cancel).
- :mod:`~cloudping.wire.payloads`: typed views of the command and event payloads.
- :mod:`~cloudping.transport.trust`, :mod:`~cloudping.transport.hubcert`: the hub's certificate.
"""

from cloudping.wire.codec import MAX_FRAME_SIZE, FrameDecoder, MessageType, decode, encode
from cloudping.wire.connection import (
    ControlChannel,
    ControlEvent,
    Disconnected,
    Expired,
    KeepaliveDue,
)
from cloudping.wire.errors import (
    HubRefusedError,
    HubUnreachableError,
    HubUntrustedError,
    LocalProtocolError,
    WireError,
)
from cloudping.wire.jobstream import JobAborted, JobChannel, JobStreamEvent
from cloudping.wire.messages import (
    CAPABILITIES,
    PROTOCOL_VERSION,
    Accept,
    AgentAttributes,
    Attributes,
    Cancel,
    Capability,
    ControlMessage,
    Heartbeat,
    HeartbeatAck,
    Hello,
    JobEnd,
    JobEvent,
    JobLimits,
    JobMessage,
    JobOffer,
    JobStatus,
    Message,
    Refuse,
)
from cloudping.wire.states import ControlState, JobState, Role

__all__ = [
    "CAPABILITIES",
    "MAX_FRAME_SIZE",
    "PROTOCOL_VERSION",
    "Accept",
    "AgentAttributes",
    "Attributes",
    "Cancel",
    "Capability",
    "ControlChannel",
    "ControlEvent",
    "ControlMessage",
    "ControlState",
    "Disconnected",
    "Expired",
    "FrameDecoder",
    "Heartbeat",
    "HeartbeatAck",
    "Hello",
    "HubRefusedError",
    "HubUnreachableError",
    "HubUntrustedError",
    "JobAborted",
    "JobChannel",
    "JobEnd",
    "JobEvent",
    "JobLimits",
    "JobMessage",
    "JobOffer",
    "JobState",
    "JobStatus",
    "JobStreamEvent",
    "KeepaliveDue",
    "LocalProtocolError",
    "Message",
    "MessageType",
    "Refuse",
    "Role",
    "WireError",
    "decode",
    "encode",
]
