"""How ICMP errors read in text output: iputils ping's wording, shared by the text renderers."""

from __future__ import annotations

# iputils ping's wording (ping4_common.c pr_icmph, ping6_common.c pr_icmph).
ICMP_ERRORS: dict[str, str] = {
    "net_unreachable": "Destination Net Unreachable",
    "host_unreachable": "Destination Host Unreachable",
    "protocol_unreachable": "Destination Protocol Unreachable",
    "port_unreachable": "Destination Port Unreachable",
    "frag_needed": "Frag needed and DF set (mtu = {mtu})",
    "source_route_failed": "Source Route Failed",
    "net_unknown": "Destination Net Unknown",
    "host_unknown": "Destination Host Unknown",
    "net_prohibited": "Destination Net Prohibited",
    "host_prohibited": "Destination Host Prohibited",
    "admin_prohibited": "Packet filtered",
    "beyond_scope": "Destination unreachable: Beyond scope",
    "source_policy_failed": "Destination unreachable: Source address failed ingress/egress policy",
    "reject_route": "Destination unreachable: Reject route to destination",
    "packet_too_big": "Packet too big: mtu={mtu}",
    "time_exceeded": "Time to live exceeded",
    "reassembly_timeout": "Frag reassembly time exceeded",
    "parameter_problem": "Parameter problem",
    "source_quench": "Source Quench",
    "redirect": "Redirect",
    "local_error": "local error: message too long, mtu={mtu}",
}


def icmp_error_text(name: str, mtu: int | None = None) -> str:
    """The words for ICMP error ``name`` (an unknown name reads as itself, spaced out)."""
    return ICMP_ERRORS.get(name, name.replace("_", " ")).format(mtu=mtu)
