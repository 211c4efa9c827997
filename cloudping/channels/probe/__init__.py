"""The blackbox_exporter-compatible ``/probe`` endpoint, measured from the agents."""

from cloudping.channels.probe.endpoint import KIND, PROBE_PATH, ProbeChannel, probe_channel
from cloudping.channels.probe.modules import BUILTIN, ProbeModule, modules_from_table

__all__ = [
    "BUILTIN",
    "KIND",
    "PROBE_PATH",
    "ProbeChannel",
    "ProbeModule",
    "modules_from_table",
    "probe_channel",
]
