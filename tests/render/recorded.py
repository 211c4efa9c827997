"""The recorded lab streams (``record.py``), as events, and a second agent made from one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudping.events import Event, from_dict

HERE = Path(__file__).with_name("streams")
_RTT_KEYS = ("rtt_ms", "min_ms", "avg_ms", "max_ms")


def raw(name: str) -> list[dict[str, Any]]:
    """The JSON objects of stream ``name``."""
    return [json.loads(line) for line in (HERE / f"{name}.ndjson").read_text().splitlines()]


def load(name: str) -> list[Event]:
    """The events of stream ``name``, as recorded."""
    return [from_dict(data) for data in raw(name)]


def as_agent(name: str, agent: str, slower: float) -> list[Event]:
    """The job events of stream ``name`` as if agent ``agent`` had run them ``slower`` times
    slower (the lab has no added delay: this is how a slow agent's RTTs are had)."""
    events = []
    for data in raw(name):
        if data["agent"] is None:
            continue
        data["agent"] = agent
        for key in _RTT_KEYS:
            if data.get(key) is not None:
                data[key] *= slower
        events.append(from_dict(data))
    return events


def merged(name: str, *others: tuple[str, float]) -> list[Event]:
    """Stream ``name`` with the jobs of further agents (name, slowdown) before its end, and
    those agents named in its first event."""
    first, *jobs, end = raw(name)
    first["agents"] = [*first["agents"], *(agent for agent, _ in others)]
    extra = [event for agent, slower in others for event in as_agent(name, agent, slower)]
    return [from_dict(first), *map(from_dict, jobs), *extra, from_dict(end)]
