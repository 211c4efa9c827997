"""A module and a ``target`` become one command of the grammar, in its structured form: the
target is a value of one field, never words of a command line, so a scrape's parameters
cannot add options."""

from __future__ import annotations

from typing import Any

from cloudping.channels.probe.modules import ProbeModule
from cloudping.commands import Command, from_json

_FAMILY = {"ip4": 4, "ip6": 6}


def probe_command(module: ProbeModule, target: str, selector: str | None) -> Command:
    """The command ``module`` runs against ``target`` from the agents ``selector`` picks.

    Targets as blackbox_exporter takes them: a URL (http), ``host:port`` (tcp), a host
    (icmp), the DNS server's ``host[:port]`` (dns).

    Raises:
        UsageError: the target does not fit the module (``bad_command``, naming the field).
    """
    spec: dict[str, Any] = {**_BUILD[module.prober](module, target)}
    if module.ip_protocol is not None and module.prober != "dns":
        spec["family"] = _FAMILY[module.ip_protocol]
    if selector:
        spec["from"] = selector
    return from_json(spec)


def _icmp(module: ProbeModule, target: str) -> dict[str, Any]:
    spec = {"command": "ping", "targets": [target], "count": module.packets}
    spec |= {"timeout": module.timeout_s, "interval": 0.2 if module.packets > 1 else 1.0}
    return spec | ({"ttl": module.ttl} if module.ttl is not None else {})


def _tcp(module: ProbeModule, target: str) -> dict[str, Any]:
    return {"command": "tcping", "targets": [target], "count": 1, "timeout": module.timeout_s}


def _http(module: ProbeModule, target: str) -> dict[str, Any]:
    spec = {"command": "http", "urls": [target], "method": module.method}
    # blackbox_exporter follows redirects by default (http.no_follow_redirects: false).
    return spec | {"timeout": module.timeout_s, "follow": True}


def _dns(module: ProbeModule, target: str) -> dict[str, Any]:
    return {
        "command": "dns",
        "names": [module.query_name],
        "type": module.query_type,
        "server": target,
        "transport": module.transport,
    }


_BUILD = {"icmp": _icmp, "tcp": _tcp, "http": _http, "dns": _dns}
