"""Which addresses a probe run for somebody else may contact.

Loopback, link-local, multicast, private and otherwise not globally reachable addresses
(the IANA special-purpose registries, RFC 6890: ``cloudping.special``) are refused, and so
are IPv6 forms of such IPv4 addresses (``64:ff9b::7f00:1``, ``2002:7f00:1::1``), unless the
agent serves that range (a DN42 agent serves 172.20.0.0/14 and fd00::/8) and the asker may
use it. Probes check every address they will contact after resolving it, and again on every
HTTP redirect. The local CLI acts with its user's own rights, as ping and dig do, and has no
target policy.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from cloudping.errors import CloudpingError
from cloudping.special import Address, Network, SpecialRange, blocking_range, special_range

__all__ = ["Network", "PolicyDeniedError", "TargetPolicy"]


class PolicyDeniedError(CloudpingError):
    """A target address the policy does not allow."""

    code = "policy_denied"


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """The ranges beyond the public Internet that may be probed (``served``), if any."""

    served: tuple[Network, ...] = ()

    def check(self, address: str, *, what: str = "target") -> None:
        """Raise unless ``address`` may be contacted.

        An IPv6 address that carries IPv4 addresses (NAT64, 6to4, Teredo, IPv4-mapped...) may
        be contacted when each IPv4 address it carries may: the packets go to those.

        Raises:
            PolicyDeniedError: a special-purpose address outside the served ranges.
        """
        ip = ipaddress.ip_address(address.partition("%")[0])
        refusal = self._refusal(ip)
        if refusal is not None:
            raise PolicyDeniedError(
                f"{what} {address} is {refusal}: refused (only public addresses, or ranges "
                "this agent serves, may be probed)",
                address=address,
            )

    def _refusal(self, ip: Address) -> str | None:
        """Why ``ip`` may not be contacted, in words; None when it may."""
        if self._served(ip):
            return None
        row = special_range(ip)
        if row is None:
            return None
        kind = _kind(row)
        if row.embeds is not None:
            inner = ((str(v4), self._refusal(v4)) for v4 in row.embeds(ip))  # type: ignore[arg-type]
            reasons = [f"{v4}, {reason}" for v4, reason in inner if reason is not None]
            return f"{kind} of {'; '.join(reasons)}" if reasons else None
        return None if row.reachable else kind

    def _served(self, ip: Address) -> bool:
        return any(ip in net for net in self.served if net.version == ip.version)

    def check_network(self, network: Network) -> None:
        """Raise unless every address of ``network`` may be contacted (a sweep's range).

        Raises:
            PolicyDeniedError: the range is not wholly public nor inside a served range.
        """
        if any(network.version == net.version and network.subnet_of(net) for net in self.served):  # type: ignore[arg-type]
            return
        row = blocking_range(network)
        if row is None:
            return
        raise PolicyDeniedError(
            f"range {network} is not wholly public (it overlaps {_kind(row)}): refused (only "
            "public ranges, or ranges this agent serves, may be swept)",
            address=str(network),
        )


def _kind(row: SpecialRange) -> str:
    """``a loopback address (127.0.0.0/8, RFC 1122)``: the registry's words in a sentence."""
    name = _CAPITALISED.sub(lambda word: word.group().lower(), row.name)
    if "address" not in name:
        name += " address"
    article = "an" if name[:1] in "aeioAEIOU" else "a"  # "a unique-local", "an IPv4-mapped"
    return f"{article} {name} ({row.network}, {row.rfc})"


_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")  # "Private-Use" reads "private-use"; "IPv4" stays
