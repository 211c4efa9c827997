"""Shared material of the wire tests: one sample of every message, and in-memory plumbing."""

from __future__ import annotations

from cloudping.wire import (
    Accept,
    AgentAttributes,
    Attributes,
    Cancel,
    ControlChannel,
    ControlEvent,
    Heartbeat,
    HeartbeatAck,
    Hello,
    JobChannel,
    JobEnd,
    JobEvent,
    JobLimits,
    JobOffer,
    JobStreamEvent,
    Message,
    Refuse,
    Role,
)

ATTRIBUTES = AgentAttributes(
    country="DE",
    city="Frankfurt",
    lat=50.11,
    lon=8.68,
    asn=3320,
    isp="DTAG",
    dn42_asn=4242420001,
    dn42_isp="example-dn42",
    tags=("datacenter", "dn42"),
    capabilities=("icmp", "udp", "tcp", "dns"),
    serves=("172.20.0.0/14", "fd00::/8"),
    software="0.1.0",
)
HELLO = Hello(name="fra1", token="tok", attributes=ATTRIBUTES)  # noqa: S106 (a test token)
ACCEPT = Accept(session_id="s1", heartbeat_interval_ms=10_000, idle_timeout_ms=30_000)
LIMITS = JobLimits(max_duration_ms=60_000, max_packets=100, max_rate_pps=10)
OFFER = JobOffer(job_id="j1", command={"command": "ping", "targets": ["192.0.2.1"]}, limits=LIMITS)
EVENT = JobEvent(job_id="j1", event={"type": "timeout", "agent": "fra1", "seq": 1})

# One message of each type, in type-byte order.
SAMPLES: tuple[Message, ...] = (
    HELLO,
    ACCEPT,
    Refuse(code="name_in_use", reason="fra1 is connected"),
    Heartbeat(seq=1, sent_at=1_000_000),
    HeartbeatAck(seq=1, sent_at=1_000_000),
    Attributes(attributes=AgentAttributes(city="Berlin")),
    OFFER,
    EVENT,
    JobEnd(job_id="j1", status="completed"),
    Cancel(job_id="j1", reason="caller left"),
)


def control_events(channel: ControlChannel) -> list[ControlEvent]:
    """Every event the channel has queued."""
    events = []
    while (event := channel.next_event()) is not None:
        events.append(event)
    return events


def job_events(channel: JobChannel) -> list[JobStreamEvent]:
    """Every event the channel has queued."""
    events = []
    while (event := channel.next_event()) is not None:
        events.append(event)
    return events


def open_pair(now: float = 0.0) -> tuple[ControlChannel, ControlChannel]:
    """A hub and an agent control channel, the hello sent and accepted at ``now``."""
    hub = ControlChannel(Role.HUB, now=now)
    agent = ControlChannel(Role.AGENT, now=now)
    hub.receive_data(agent.send(HELLO, now), now)
    agent.receive_data(hub.send(ACCEPT, now), now)
    control_events(hub)
    control_events(agent)
    return hub, agent


def running_pair() -> tuple[JobChannel, JobChannel]:
    """A hub and an agent job channel, the offer of job ``j1`` delivered."""
    hub, agent = JobChannel(Role.HUB), JobChannel(Role.AGENT)
    agent.receive_data(hub.send(OFFER))
    job_events(agent)
    return hub, agent
