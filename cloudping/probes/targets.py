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
from cloudping.events import PolicyRule
from cloudping.special import Address, Network, SpecialRange, blocking_range, special_range

__all__ = ["Network", "PolicyDeniedError", "TargetPolicy"]


class PolicyDeniedError(CloudpingError):
    """A target address the policy does not allow; ``rule`` (a field) says which rule refused."""

    code = "policy_denied"


@dataclass(frozen=True, slots=True)
class _Refusal:
    """Which rule refuses an address (``PolicyRule``), and the address's kind in words."""

    rule: PolicyRule
    kind: str
    row: SpecialRange


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """The ranges beyond the public Internet this agent serves, and whether the asker may use
    them (the ``private`` scope). The served ranges are kept even for an asker without
    ``private`` so that a refusal can say that the scope, not the agent, is missing; an
    agent's job policy sets ``private`` from the offer (``agent.admit.job_policy``)."""

    served: tuple[Network, ...] = ()
    private: bool = True

    def check(self, address: str, *, what: str = "target") -> None:
        """Raise unless ``address`` may be contacted.

        An IPv6 address that carries IPv4 addresses (NAT64, 6to4, Teredo, IPv4-mapped...) may
        be contacted when each IPv4 address it carries may: the packets go to those.

        Raises:
            PolicyDeniedError: a special-purpose address outside the served ranges, or inside
                them for an asker without ``private``.
        """
        ip = ipaddress.ip_address(address.partition("%")[0])
        refusal = self._refusal(ip)
        if refusal is not None:
            raise PolicyDeniedError(
                f"{what} {address} is {refusal.kind}: refused ({self._remedy(refusal)})",
                address=address,
                rule=refusal.rule,
            )

    def _refusal(self, ip: Address) -> _Refusal | None:
        """Why ``ip`` may not be contacted; None when it may."""
        served = self._served(ip)
        if served and self.private:
            return None
        row = special_range(ip)
        if row is None:
            return None
        if row.embeds is not None:
            inner = [(v4, self._refusal(v4)) for v4 in row.embeds(ip)]  # type: ignore[arg-type]
            refused = [(v4, why) for v4, why in inner if why is not None]
            if not refused:
                return None
            words = "; ".join(f"{v4}, {why.kind}" for v4, why in refused)
            return _Refusal(refused[0][1].rule, f"{_kind(row)} of {words}", refused[0][1].row)
        if row.reachable:
            return None
        return _Refusal(self._rule(row.network, served=served), _kind(row), row)

    def _rule(self, network: Network, *, served: bool) -> PolicyRule:
        if served:
            return "scope"
        if any(network.overlaps(net) for net in _RESERVED if net.version == network.version):
            return "reserved"
        return "not_served"

    def _served(self, ip: Address) -> bool:
        return any(ip in net for net in self.served if net.version == ip.version)

    def _remedy(self, refusal: _Refusal) -> str:
        """Which rule refused, and what would allow it, in words."""
        if refusal.rule == "scope":
            return (
                "this agent serves the range, but only to tokens with the `private` scope; "
                "ask the hub's operator for one"
            )
        if refusal.rule == "reserved":
            return (
                "no single host answers there, so no agent probes it for others; "
                "the local CLI (without --hub) may"
            )
        serves = ", ".join(map(str, self.served)) or "no range beyond the public Internet"
        return (
            f"this agent serves {serves}; an agent started with `--serve {refusal.row.network}`"
            " (`cloudping up` or `cloudping agent`) may probe it for tokens with `private`"
        )

    def check_network(self, network: Network) -> None:
        """Raise unless every address of ``network`` may be contacted (a sweep's range).

        Raises:
            PolicyDeniedError: the range is not wholly public nor inside a served range that
                the asker may use.
        """
        served = any(
            network.version == net.version and network.subnet_of(net)  # type: ignore[arg-type]
            for net in self.served
        )
        if served and self.private:
            return
        row = blocking_range(network)
        if row is None:
            return
        refusal = _Refusal(self._rule(row.network, served=served), _kind(row), row)
        raise PolicyDeniedError(
            f"range {network} is not wholly public (it overlaps {refusal.kind}): refused "
            f"({self._remedy(refusal)})",
            address=str(network),
            rule=refusal.rule,
        )


# Ranges where no single host answers (this network, multicast, the reserved class E with the
# limited broadcast, the unspecified address): serving them for others makes no sense.
_RESERVED = tuple(
    ipaddress.ip_network(net)
    for net in ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "::/128", "ff00::/8")
)


def _kind(row: SpecialRange) -> str:
    """``a loopback address (127.0.0.0/8, RFC 1122)``: the registry's words in a sentence."""
    name = _CAPITALISED.sub(lambda word: word.group().lower(), row.name)
    if "address" not in name:
        name += " address"
    article = "an" if name[:1] in "aeioAEIOU" else "a"  # "a unique-local", "an IPv4-mapped"
    return f"{article} {name} ({row.network}, {row.rfc})"


_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")  # "Private-Use" reads "private-use"; "IPv4" stays
