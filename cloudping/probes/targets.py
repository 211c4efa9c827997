"""Which addresses a probe run for somebody else may contact.

Loopback, link-local, multicast, private and otherwise not globally reachable addresses
(IANA special-purpose registries, RFC 6890) are refused, unless the agent serves that range
(a DN42 agent serves 172.20.0.0/14 and fd00::/8) and the asker may use it. Probes check every
address they will contact after resolving it, and again on every HTTP redirect. The local CLI
acts with its user's own rights, as ping and dig do, and has no target policy.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cloudping.errors import CloudpingError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class PolicyDeniedError(CloudpingError):
    """A target address the policy does not allow."""

    code = "policy_denied"


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """The ranges beyond the public Internet that may be probed (``served``), if any."""

    served: tuple[Network, ...] = ()

    def check(self, address: str, *, what: str = "target") -> None:
        """Raise unless ``address`` may be contacted.

        Raises:
            PolicyDeniedError: a special-purpose address outside the served ranges.
        """
        ip = ipaddress.ip_address(address.partition("%")[0])
        if any(ip in net for net in self.served if net.version == ip.version):
            return
        if ip.is_global and not ip.is_multicast:
            return
        raise PolicyDeniedError(
            f"{what} {address} is {_kind(ip)}: refused (only public addresses, or ranges this "
            "agent serves, may be probed)",
            address=address,
        )

    def check_network(self, network: Network) -> None:
        """Raise unless every address of ``network`` may be contacted (a sweep's range).

        Raises:
            PolicyDeniedError: the range is not wholly public nor inside a served range.
        """
        if any(network.version == net.version and network.subnet_of(net) for net in self.served):  # type: ignore[arg-type]
            return
        if network.is_global and not network.is_multicast:
            return
        raise PolicyDeniedError(
            f"range {network} is not wholly public: refused (only public ranges, or ranges this "
            "agent serves, may be swept)",
            address=str(network),
        )


def _kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for test, name in (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_private, "a private or reserved address"),
    ):
        if test:
            return name
    return "not globally reachable"
