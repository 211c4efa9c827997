"""Policy limits: every configurable bound on what a command may ask for, in one frozen value.

A command model holds only what can never be valid (a count of 0, a port of 70000); how much a
person may ask for (at most 100 packets, at most a /20 to sweep) is policy, checked against a
``Limits`` by the parser and published in the JSON Schemas. Variants are cheap::

    lab = dataclasses.replace(DEFAULT_LIMITS, privileged=True, max_targets=50)
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit the command layer enforces.

    Attributes:
        count_min: fewest packets/queries/connections per target.
        count_max: most packets/queries/connections per target.
        interval_min: shortest interval between packets, in seconds, for everyone.
        interval_min_privileged: shortest interval when ``privileged`` (ping -i 0.001 as root).
        interval_max: longest interval between packets, in seconds.
        privileged: the asker may flood (lab use, operators).
        timeout_min: shortest per-packet (or per-request) timeout, in seconds.
        timeout_max: longest per-packet (or per-request) timeout, in seconds.
        size_max: largest ping/traceroute payload, in bytes.
        ttl_min: lowest first TTL / hop limit.
        ttl_max: highest TTL / hop limit.
        max_hops: most hops a traceroute or mtr walks.
        queries_max: most traceroute probes per hop.
        max_targets: most targets (names, URLs, addresses) in one command.
        http_max_body: most response body bytes an HTTP probe reads; also the default.
        scan_ipv4_min_prefixlen: the widest IPv4 prefix a scan may sweep (20: a /20).
        scan_ipv6_max_hosts: most IPv6 addresses a scan may sweep.
        scan_rate_default: packets per second of a scan that does not say.
        scan_rate_max: most packets per second of a scan.
        scan_retries_max: most extra probes a scan sends to an address that did not answer.
        selection_limit_max: most agents one command may run on (``--limit``).
        max_input_chars: longest command line, in characters.
        max_message_chars: longest message (an email body) searched for a command line.
        max_words: most words in one command.
    """

    count_min: int = 1
    count_max: int = 100
    interval_min: float = 0.2
    interval_min_privileged: float = 0.001
    interval_max: float = 60.0
    privileged: bool = False
    timeout_min: float = 0.1
    timeout_max: float = 30.0
    size_max: int = 65500
    ttl_min: int = 1
    ttl_max: int = 255
    max_hops: int = 64
    queries_max: int = 10
    max_targets: int = 10
    http_max_body: int = 1_048_576
    scan_ipv4_min_prefixlen: int = 20
    scan_ipv6_max_hosts: int = 4096
    scan_rate_default: int = 1000
    scan_rate_max: int = 10_000
    scan_retries_max: int = 5
    selection_limit_max: int = 50
    max_input_chars: int = 4096
    max_message_chars: int = 65_536
    max_words: int = 64

    def __post_init__(self) -> None:
        for name in ("count", "interval", "timeout", "ttl"):
            if getattr(self, f"{name}_min") > getattr(self, f"{name}_max"):
                raise ValueError(f"Limits: {name}_min is above {name}_max")
        if not 0 <= self.scan_ipv4_min_prefixlen <= 32:
            raise ValueError("Limits: scan_ipv4_min_prefixlen must be 0..32")
        for field in fields(self):
            value = getattr(self, field.name)
            if (
                not isinstance(value, bool)
                and value <= 0
                and field.name != "scan_ipv4_min_prefixlen"
            ):
                raise ValueError(f"Limits: {field.name} must be positive")

    @property
    def interval_floor(self) -> float:
        """The shortest interval this asker may use, in seconds."""
        return self.interval_min_privileged if self.privileged else self.interval_min

    @property
    def scan_ipv4_max_hosts(self) -> int:
        """How many IPv4 addresses the widest allowed prefix holds (4096 for a /20)."""
        return 1 << (32 - self.scan_ipv4_min_prefixlen)


DEFAULT_LIMITS = Limits()
