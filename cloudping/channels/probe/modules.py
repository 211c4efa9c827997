"""The modules ``/probe?module=NAME`` runs, as blackbox_exporter names them.

The built-in ones are the modules of the ``blackbox.yml`` Debian ships that cloudping can run
(``http_2xx``, ``http_post_2xx``, ``tcp_connect``, ``icmp``, ``icmp_ttl5``) plus ``dns_udp``,
so an existing scrape configuration works by changing only the address. The banner and gRPC
modules (``pop3s_banner``, ``ssh_banner``, ``irc_banner``, ``grpc``, ``grpc_plain``) need a
conversation cloudping's probes do not hold, and are not offered.

:func:`modules_from_table` reads more from the settings file's ``[probe.modules.NAME]``
tables, with blackbox's own keys, so a module moves over by copying its YAML as TOML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

Prober = Literal["http", "tcp", "icmp", "dns"]
PROBERS: tuple[Prober, ...] = get_args(Prober)
IpProtocol = Literal["ip4", "ip6"]
DEFAULT_TIMEOUT_S = 5.0  # blackbox_exporter's own default when a module sets none
MAX_TIMEOUT_S = 30.0  # the grammar's longest per-packet timeout (policy.Limits)
MAX_PACKETS = 100


@dataclass(frozen=True, slots=True)
class ProbeModule:
    """One module: which probe, with what settings (blackbox's names in the comments).

    Attributes:
        name: what ``module=`` says.
        prober: ``http``, ``tcp``, ``icmp`` or ``dns`` (``prober``).
        timeout_s: each probe's bound (``timeout``).
        ip_protocol: ``ip4`` or ``ip6`` to force a family (``preferred_ip_protocol``);
            None: the agent's choice.
        method: the HTTP method (``http.method``).
        valid_status_codes: HTTP statuses that count as success (``http.valid_status_codes``;
            empty: any 2xx).
        ttl: the ICMP packets' TTL (``icmp.ttl``).
        packets: ICMP echoes per agent; past 1, loss and jitter are measured (cloudping's own
            ``icmp.packets``: what blackbox users keep asking for).
        query_name: the DNS name asked (``dns.query_name``).
        query_type: its record type (``dns.query_type``).
        transport: ``udp`` or ``tcp`` (``dns.transport_protocol``).
    """

    name: str
    prober: Prober
    timeout_s: float = DEFAULT_TIMEOUT_S
    ip_protocol: IpProtocol | None = None
    method: str = "GET"
    valid_status_codes: tuple[int, ...] = ()
    ttl: int | None = None
    packets: int = 1
    query_name: str = ""
    query_type: str = "A"
    transport: Literal["udp", "tcp"] = "udp"

    def __post_init__(self) -> None:
        if self.prober not in PROBERS:
            raise ValueError(f"module {self.name}: prober must be one of {', '.join(PROBERS)}")
        if not (0 < self.timeout_s <= MAX_TIMEOUT_S and math.isfinite(self.timeout_s)):
            raise ValueError(f"module {self.name}: timeout must be 0 to {MAX_TIMEOUT_S:g} s")
        if not 1 <= self.packets <= MAX_PACKETS:
            raise ValueError(f"module {self.name}: packets must be 1 to {MAX_PACKETS}")
        if self.prober == "dns" and not self.query_name:
            raise ValueError(f"module {self.name}: a dns module needs dns.query_name")

    def success(self, status: int) -> bool:
        """Whether an HTTP status counts as success for this module."""
        if self.valid_status_codes:
            return status in self.valid_status_codes
        return 200 <= status < 300


BUILTIN: dict[str, ProbeModule] = {
    module.name: module
    for module in (
        ProbeModule("http_2xx", "http"),
        ProbeModule("http_post_2xx", "http", method="POST"),
        ProbeModule("tcp_connect", "tcp"),
        ProbeModule("icmp", "icmp"),
        ProbeModule("icmp_ttl5", "icmp", timeout_s=5.0, ttl=5),
        # blackbox_exporter's example.yml asks this name in its dns_udp module.
        ProbeModule("dns_udp", "dns", query_name="www.prometheus.io"),
    )
}

# The keys each prober's table may hold, by blackbox_exporter's names.
_COMMON = {"prober", "timeout"}
_PROBER_KEYS: dict[Prober, frozenset[str]] = {
    "http": frozenset({"method", "valid_status_codes", "preferred_ip_protocol"}),
    "tcp": frozenset({"preferred_ip_protocol"}),
    "icmp": frozenset({"ttl", "packets", "preferred_ip_protocol"}),
    "dns": frozenset({"query_name", "query_type", "transport_protocol", "preferred_ip_protocol"}),
}


def modules_from_table(
    table: Mapping[str, Any], builtin: Mapping[str, ProbeModule] = BUILTIN
) -> dict[str, ProbeModule]:
    """The built-in modules and those of the settings file's ``[probe.modules]`` table.

    ``table`` is that table as parsed TOML: ``{NAME: {"prober": "icmp", "timeout": "5s",
    "icmp": {"ttl": 5}}}``; a module of a built-in's name replaces it.

    Raises:
        ValueError: an unknown prober or key, or a value of the wrong type or range; the
            message names the module and the key (``probe.modules.NAME.icmp.ttl``).
    """
    modules = dict(builtin)
    for name, spec in table.items():
        where = f"probe.modules.{name}"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: a module is a table")
        modules[name] = _module(name, spec, where)
    return modules


def _module(name: str, spec: Mapping[str, Any], where: str) -> ProbeModule:
    prober = spec.get("prober")
    if prober not in PROBERS:
        raise ValueError(f"{where}.prober: one of {', '.join(PROBERS)}, not {prober!r}")
    unknown = set(spec) - _COMMON - {prober}
    if unknown:
        raise ValueError(f"{where}.{sorted(unknown)[0]}: unknown key for prober {prober}")
    settings = spec.get(prober, {})
    if not isinstance(settings, Mapping):
        raise ValueError(f"{where}.{prober}: a table")
    stray = set(settings) - _PROBER_KEYS[prober]
    if stray:
        raise ValueError(f"{where}.{prober}.{sorted(stray)[0]}: unknown key")
    fields: dict[str, Any] = {"timeout_s": _seconds(spec.get("timeout", "5s"), f"{where}.timeout")}
    inner = f"{where}.{prober}"
    for key, value in settings.items():
        fields.update(_field(key, value, f"{inner}.{key}"))
    try:
        return ProbeModule(name, prober, **fields)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _field(key: str, value: Any, where: str) -> dict[str, Any]:
    """One key of a prober's table as the module's field."""
    if key == "preferred_ip_protocol":
        return {"ip_protocol": _choice(value, ("ip4", "ip6"), where)}
    if key == "transport_protocol":
        return {"transport": _choice(value, ("udp", "tcp"), where)}
    if key == "valid_status_codes":
        if not isinstance(value, list) or not all(_status(v) for v in value):
            raise ValueError(f"{where}: a list of HTTP statuses (100-599)")
        return {key: tuple(value)}
    if key in ("ttl", "packets"):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 255:
            raise ValueError(f"{where}: a whole number from 1 to 255")
        return {key: value}
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: a non-empty string")
    return {key: value.upper() if key in ("method", "query_type") else value}


def _status(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise ValueError(f"{where}: one of {', '.join(allowed)}, not {value!r}")
    return str(value)


def _seconds(value: Any, where: str) -> float:
    """A duration as blackbox writes it (``5s``, ``500ms``) or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        for suffix, scale in (("ms", 0.001), ("s", 1.0), ("m", 60.0)):
            number = value.removesuffix(suffix)
            if number != value:
                try:
                    return float(number) * scale
                except ValueError:
                    break
    raise ValueError(f"{where}: a duration such as 5s or 500ms, not {value!r}")
