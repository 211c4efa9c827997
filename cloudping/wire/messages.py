"""The messages hub and agents exchange: frozen dataclasses that check themselves.

A message that exists is valid: ``Heartbeat(seq=-1)`` raises ``ValueError``, and the codec
turns the same check on received bytes into a ``WireError``. Payloads that already have a JSON
form elsewhere travel in that form: a job's command as ``cloudping.commands.to_json`` gives it,
an event as ``cloudping.events.to_dict`` gives it (see :mod:`cloudping.wire.payloads` for the
typed views). Times on the wire are integer milliseconds, named ``*_ms``.

The control stream carries :class:`Hello`, :class:`Accept`, :class:`Refuse`,
:class:`Heartbeat`, :class:`HeartbeatAck` and :class:`Attributes`; each job stream carries
:class:`JobOffer`, :class:`JobEvent`, :class:`JobEnd` and :class:`Cancel`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast, dataclass_transform, get_args

from pydantic import ConfigDict

from cloudping.commands.selection import TERM_PATTERN

PROTOCOL_VERSION = 1
"""The message set this code speaks; a hello with another version is refused."""

Capability = Literal["icmp", "udp", "tcp", "dns", "http", "http3", "scan"]
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)
JobStatus = Literal["completed", "failed", "cancelled"]

# An agent name, a tag: whatever a selector term can name (`-s fra1`, `-s dn42`).
_TERM = re.compile(TERM_PATTERN)
_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_JOB_ID = re.compile(r"[!-~]{1,128}")  # printable ASCII, no spaces: it lands in logs and URLs
_COUNTRY = re.compile(r"[A-Z]{2}")  # ISO 3166-1 alpha-2
_MAX_TEXT = 256
_MAX_TOKEN = 8192
MAX_REASON = 1024  # a Refuse's or Cancel's reason, in characters: cut longer texts to it
_MAX_ITEMS = 64
_UINT32 = 2**32 - 1
_INT63 = 2**63 - 1

_T = TypeVar("_T", bound=type)
# Strict: "5" is not 5 and unknown fields are faults, so a typo on either side is caught.
_CONFIG = ConfigDict(strict=True, extra="forbid")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def _message(cls: _T) -> _T:
    """Make a message class: frozen, slotted, keyword-only, strictly decoded by pydantic."""
    made = cast("_T", dataclass(frozen=True, slots=True, kw_only=True)(cls))
    setattr(made, "__pydantic_config__", _CONFIG)  # noqa: B010 (pydantic reads it from the class)
    return made


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _check_text(name: str, value: str | None, limit: int = _MAX_TEXT) -> None:
    if value is not None:
        _require(0 < len(value) <= limit, f"{name} must be 1 to {limit} characters")


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    # Comparisons, not math.isfinite: NaN and infinities fail them, and an int of 400 digits
    # (JSON allows it) would overflow a float conversion.
    if value is not None:
        _require(low <= value <= high, f"{name} must be {low}..{high}")


def _check_items(name: str, items: tuple[str, ...], check: Callable[[str], bool]) -> None:
    _require(len(items) <= _MAX_ITEMS, f"at most {_MAX_ITEMS} {name}")
    _require(len(set(items)) == len(items), f"{name} must not repeat")
    bad = next((item for item in items if not check(item)), None)
    _require(bad is None, f"{bad!r} is not a valid entry of {name}")


def _canonical_cidr(text: str) -> bool:
    """A CIDR in its one written form (``10.0.0.0/8``, not ``10.1.0.0/8`` nor ``10/8``)."""
    try:
        return str(ipaddress.ip_network(text)) == text
    except ValueError:
        return False


def _check_job_id(job_id: str) -> None:
    _require(_JOB_ID.fullmatch(job_id) is not None, "job_id must be 1 to 128 printable characters")


@_message
class AgentAttributes:
    """Where an agent is and what it can do: what selection (``-s DE+AS3320``) matches on.

    ``serves`` lists the non-public ranges the agent may probe for users allowed to (a DN42
    agent serves ``172.20.0.0/14`` and ``fd00::/8``), as canonical CIDR strings.
    """

    country: str | None = None
    city: str | None = None
    lat: float | None = None
    lon: float | None = None
    asn: int | None = None
    isp: str | None = None
    dn42_asn: int | None = None
    dn42_isp: str | None = None
    tags: tuple[str, ...] = ()
    capabilities: tuple[Capability, ...] = ()
    serves: tuple[str, ...] = ()
    software: str | None = None

    def __post_init__(self) -> None:
        _require(self.country is None or bool(_COUNTRY.fullmatch(self.country)), "bad country")
        for name in ("city", "isp", "dn42_isp", "software"):
            _check_text(name, getattr(self, name))
        _require((self.lat is None) == (self.lon is None), "lat and lon go together")
        _check_range("lat", self.lat, -90, 90)
        _check_range("lon", self.lon, -180, 180)
        _check_range("asn", self.asn, 1, _UINT32)
        _check_range("dn42_asn", self.dn42_asn, 1, _UINT32)
        _check_items("tags", self.tags, lambda tag: _TERM.fullmatch(tag) is not None)
        _check_items("capabilities", self.capabilities, lambda cap: cap in CAPABILITIES)
        _check_items("serves", self.serves, _canonical_cidr)


@_message
class Hello:
    """The agent's first message: who it is, how it proves it, what it offers."""

    version: int = PROTOCOL_VERSION
    name: str
    token: str = field(repr=False)  # a credential: never in logs
    attributes: AgentAttributes = field(default_factory=AgentAttributes)

    def __post_init__(self) -> None:
        _require(self.version >= 1, "version must be 1 or more")
        _require(_TERM.fullmatch(self.name) is not None, f"{self.name!r} is not a valid name")
        _check_text("token", self.token, _MAX_TOKEN)


@_message
class Accept:
    """The hub took the hello: from now on the agent's messages count.

    The two durations are the liveness contract both sides run their timers by: the agent
    sends a heartbeat every ``heartbeat_interval_ms``; either side gives the other up after
    ``idle_timeout_ms`` without a frame.
    """

    session_id: str
    heartbeat_interval_ms: int
    idle_timeout_ms: int

    def __post_init__(self) -> None:
        _check_text("session_id", self.session_id)
        _check_range("heartbeat_interval_ms", self.heartbeat_interval_ms, 1, 86_400_000)
        _require(
            self.heartbeat_interval_ms < self.idle_timeout_ms <= 86_400_000,
            "idle_timeout_ms must exceed heartbeat_interval_ms (and be at most a day)",
        )


@_message
class Refuse:
    """The hub will not (or no longer) talk to this agent; the connection ends.

    ``code`` is stable snake_case: ``unsupported_version``, ``unauthorized``, ``name_in_use``,
    ``protocol_error``, ``shutting_down``, ``timeout``; ``reason`` says it for people.
    """

    code: str
    reason: str

    def __post_init__(self) -> None:
        _require(_CODE.fullmatch(self.code) is not None, "code must be snake_case")
        _check_text("reason", self.reason, MAX_REASON)


@_message
class Heartbeat:
    """The agent is alive. ``sent_at`` is the sender's own clock; the hub echoes it."""

    seq: int
    sent_at: int

    def __post_init__(self) -> None:
        _check_range("seq", self.seq, 0, _INT63)
        _check_range("sent_at", self.sent_at, 0, _INT63)


@_message
class HeartbeatAck:
    """The hub's echo of a heartbeat: the agent learns the round-trip time from it."""

    seq: int
    sent_at: int

    def __post_init__(self) -> None:
        _check_range("seq", self.seq, 0, _INT63)
        _check_range("sent_at", self.sent_at, 0, _INT63)


@_message
class Attributes:
    """The agent's attributes changed; these replace the ones of its hello."""

    attributes: AgentAttributes


@_message
class JobLimits:
    """Bounds the agent enforces on one job whatever the command says.

    ``private``: the asker may reach the ranges the agent ``serves`` (scope ``private``).
    """

    max_duration_ms: int
    max_packets: int
    max_rate_pps: int
    private: bool = False

    def __post_init__(self) -> None:
        for name in ("max_duration_ms", "max_packets", "max_rate_pps"):
            _check_range(name, getattr(self, name), 1, _UINT32)


@_message
class JobOffer:
    """Run ``command`` (its structured JSON form, one target) within ``limits``."""

    job_id: str
    command: dict[str, Any]
    limits: JobLimits

    def __post_init__(self) -> None:
        _check_job_id(self.job_id)
        _require(isinstance(self.command.get("command"), str), 'command needs a "command" name')


@_message
class JobEvent:
    """One event of a running job, as ``cloudping.events.to_dict`` writes it."""

    job_id: str
    event: dict[str, Any]

    def __post_init__(self) -> None:
        _check_job_id(self.job_id)
        _require(isinstance(self.event.get("type"), str), 'event needs a "type"')


@_message
class JobEnd:
    """The job is over; no event of it follows. Failures were sent as ``error`` events."""

    job_id: str
    status: JobStatus

    def __post_init__(self) -> None:
        _check_job_id(self.job_id)


@_message
class Cancel:
    """Stop this job: the hub wants no more of its events."""

    job_id: str
    reason: str

    def __post_init__(self) -> None:
        _check_job_id(self.job_id)
        _check_text("reason", self.reason, MAX_REASON)


ControlMessage = Hello | Accept | Refuse | Heartbeat | HeartbeatAck | Attributes
JobMessage = JobOffer | JobEvent | JobEnd | Cancel
Message = ControlMessage | JobMessage
