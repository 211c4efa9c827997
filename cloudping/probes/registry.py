"""The probe registry: one module per kind, one signature, imported on first use.

``async def run(cmd, env, emit) -> list[result]``: the probe emits ``start``, per-packet and
``summary`` (or ``dns``/``http``) events for each of its jobs; expected failures (timeouts, ICMP
errors, a name that does not resolve) are events, never exceptions. Modules load lazily, so a
``cloudping ping`` does not pay for the HTTP/3 and DNS libraries at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from cloudping.events import Emit
from cloudping.probes.env import ProbeEnv

Probe = Callable[[Any, ProbeEnv, Emit], Awaitable[Sequence[object]]]

_MODULES: dict[str, str] = {
    "ping": "cloudping.probes.icmp.ping",
    "traceroute": "cloudping.probes.path.traceroute",
    "mtr": "cloudping.probes.path.mtr",
    "tcping": "cloudping.probes.port.tcping",
    "scan": "cloudping.probes.scan.probe",
    "dns": "cloudping.probes.dns.probe",
    "http": "cloudping.probes.http.probe",
}
PROBE_NAMES: tuple[str, ...] = tuple(_MODULES)


def probe_for(command: str) -> Probe | None:
    """The probe that runs ``command`` (a canonical command name), or ``None``."""
    module = _MODULES.get(command)
    if module is None:
        return None
    run: Probe = importlib.import_module(module).run
    return run
