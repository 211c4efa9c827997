"""The ``diagnose`` prompt: ping, traceroute, DNS and HTTP in order, then an explanation."""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field

DIAGNOSE_DESCRIPTION = (
    "Diagnose how a host, address or URL is reached: ping, traceroute, DNS and HTTP with the "
    "cloudping tools, then explain what works, what does not, and where it breaks."
)


def diagnose(
    target: Annotated[str, Field(description="a host name, an IP address or a URL")],
    agents: Annotated[
        str | None,
        Field(description="selectors of the agents to measure from (DE, fra1, AS3320...)"),
    ] = None,
) -> str:
    """The diagnose prompt's one user message."""
    host, url = _host_and_url(target.strip())
    where = f' with from {{"selectors": "{agents}"}}' if agents else ""
    steps = [
        f"1. ping {host}{where}: is it up, how much loss, how much delay?",
        f"2. traceroute {host}{where}: which path, and where does it stop or slow down?",
        _dns_step(host, where),
        f"4. http {url}{where}: does the service answer, with which status, TLS and timings?",
    ]
    return "\n".join(
        [
            f"Diagnose how {target} is reached. Use the cloudping tools in this order; stop "
            "early when a step already explains the problem:",
            *steps,
            "Each result carries a measurement_id: call get_measurement for what a summary "
            "left out. Then explain what works, what does not, where (which hop, which phase) "
            "and what to try next.",
        ]
    )


def _host_and_url(target: str) -> tuple[str, str]:
    if "://" in target:
        return urlsplit(target).hostname or target, target
    shown = f"[{target}]" if _is_v6(target) else target
    return target, f"https://{shown}/"


def _dns_step(host: str, where: str) -> str:
    if _is_address(host):
        return f"3. dns {host} with type PTR{where}: which name does the address have?"
    return f"3. dns {host}{where}, types A and AAAA (add trace when it does not resolve)"


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_v6(text: str) -> bool:
    return _is_address(text) and ":" in text
