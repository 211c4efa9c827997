"""Policy ranges of the options, read from the ``Limits`` in force.

Each function gives the (lowest, highest) value an option may take, or the most items a
positional may hold; the parser checks them, the JSON Schemas publish them.
"""

from __future__ import annotations

from cloudping.commands.model import CommandModel, ScanCommand
from cloudping.commands.names import ASN_MAX, PORT_MAX, ROUTE_LIMIT_MAX
from cloudping.commands.spec import Violation
from cloudping.policy import Limits


def count(limits: Limits) -> tuple[float, float]:
    return (limits.count_min, limits.count_max)


def interval(limits: Limits) -> tuple[float, float]:
    return (limits.interval_floor, limits.interval_max)


def timeout(limits: Limits) -> tuple[float, float]:
    return (limits.timeout_min, limits.timeout_max)


def size(limits: Limits) -> tuple[float, float]:
    return (0, limits.size_max)


def ttl(limits: Limits) -> tuple[float, float]:
    return (limits.ttl_min, limits.ttl_max)


def hops(limits: Limits) -> tuple[float, float]:
    return (1, limits.max_hops)


def queries(limits: Limits) -> tuple[float, float]:
    return (1, limits.queries_max)


def port(limits: Limits) -> tuple[float, float]:
    return (1, PORT_MAX)


def asn(limits: Limits) -> tuple[float, float]:
    return (1, ASN_MAX)


def targets(limits: Limits) -> tuple[float, float]:
    return (1, limits.max_targets)


def routes(limits: Limits) -> tuple[float, float]:
    return (1, ROUTE_LIMIT_MAX)


def agents(limits: Limits) -> tuple[float, float]:
    return (1, limits.selection_limit_max)


def max_body(limits: Limits) -> tuple[float, float]:
    return (1, limits.http_max_body)


def retries(limits: Limits) -> tuple[float, float]:
    return (0, limits.scan_retries_max)


def rate(limits: Limits) -> tuple[float, float]:
    return (1, limits.scan_rate_max)


def scan_size(command: CommandModel, limits: Limits) -> Violation | None:
    """The scan's prefix, when it holds more addresses than the policy allows."""
    assert isinstance(command, ScanCommand)
    net = command.network
    if net.version == 4 and net.prefixlen < limits.scan_ipv4_min_prefixlen:
        widest = f"/{limits.scan_ipv4_min_prefixlen}, {limits.scan_ipv4_max_hosts} addresses"
    elif net.version == 6 and net.num_addresses > limits.scan_ipv6_max_hosts:
        widest = f"{limits.scan_ipv6_max_hosts} addresses"
    else:
        return None
    return (
        "cidr",
        f"{command.cidr} is too large: {net.num_addresses} addresses (at most {widest})",
    )
