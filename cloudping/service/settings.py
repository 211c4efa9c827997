"""How the hub's channels (HTTP API, MCP) treat callers: who may come without a token, the
quotas, what the agent list shows."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from cloudping.auth import Scope
from cloudping.policy import DEFAULT_LIMITS, Limits
from cloudping.special import Network

Anonymous = Literal["off", "guest"]


@dataclass(frozen=True, slots=True)
class Quota:
    """What one subject may ask for (design.md "Auth, limits and safety").

    Attributes:
        measurements_per_hour: measurements started in any sliding hour.
        jobs_per_measurement: agents x targets in one measurement.
    """

    measurements_per_hour: int
    jobs_per_measurement: int

    def __post_init__(self) -> None:
        if self.measurements_per_hour < 1 or self.jobs_per_measurement < 1:
            raise ValueError("quotas must be at least 1")


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    """What accounts linked to one channel's identities (``telegram:<id>``) may do.

    Attributes:
        channel: the identity prefix and channel name (``telegram``, ``mail``, ``web``).
        scopes: what every such account holds.
        quota: what each such account may spend.
    """

    channel: str
    scopes: frozenset[Scope]
    quota: Quota


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """How the hub's channels (the HTTP API, MCP) treat their callers.

    Attributes:
        anonymous: ``off`` (no token: 401) or ``guest`` (no token: the guest principal).
        guest_loopback_only: guests only from 127.0.0.0/8 and ::1 (``cloudping up``'s default).
        user_quota: the quota of a token's subject.
        guest_quota: the quota of each guest (one per address; see ``guest_subject``).
        trusted_proxies: peers whose ``X-Forwarded-For`` names the client (reverse proxies
            in front of the hub); from anyone else the header is ignored.
        expose_coordinates: whether the agent list (``GET /agents``, MCP) shows lat/lon.
        follow_interval_s: how often ``GET /measurements/{id}/events`` polls the store.
        limits: the grammar's bounds for the channels' commands; ``selection_limit_max`` is
            the largest ``--limit`` (MCP's ``from.limit``) a command may ask for.
        clock: POSIX seconds; tests pass a fake.
    """

    anonymous: Anonymous = "off"
    guest_loopback_only: bool = True
    user_quota: Quota = field(default_factory=lambda: Quota(120, 50))
    guest_quota: Quota = field(default_factory=lambda: Quota(20, 4))
    trusted_proxies: tuple[Network, ...] = ()
    expose_coordinates: bool = False
    follow_interval_s: float = 0.2
    limits: Limits = DEFAULT_LIMITS
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not 0 < self.follow_interval_s <= 5:
            raise ValueError("follow_interval_s must be in (0, 5] seconds")
