"""SPF (RFC 7208): may this address send mail for this domain? The mechanisms a domain
publishes in practice (``ip4``, ``ip6``, ``a``, ``mx``, ``include``, ``exists``, ``all``,
``redirect=``), at most 10 look-ups (section 4.6.4). A record with macros (section 7) is a
``permerror`` here: it never passes, so it never lets anyone in.

The evaluation is pure over a small DNS seam (:class:`SpfDns`): tests give a dict.
"""

from __future__ import annotations

import ipaddress
from typing import Literal, Protocol

SpfResult = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]
MOST_LOOKUPS = 10
_QUALIFIERS: dict[str, SpfResult] = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_LOOKUPS = frozenset({"a", "mx", "include", "exists", "ptr"})
IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class SpfTempError(Exception):
    """A look-up that failed for now (a timeout, SERVFAIL): ``temperror``."""


class SpfDns(Protocol):
    """The look-ups SPF needs; a name that does not exist answers an empty list.

    Raises:
        SpfTempError: the look-up failed for now.
    """

    async def txt_records(self, name: str) -> list[bytes]: ...

    async def addresses(self, name: str, version: int) -> list[str]: ...

    async def mx_hosts(self, name: str) -> list[str]: ...


class _PermError(Exception):
    pass


async def check_spf(address: str, domain: str, dns: SpfDns) -> SpfResult:
    """The SPF result for mail from ``address`` claiming ``domain`` (the envelope sender's)."""
    try:
        return await _evaluate(ipaddress.ip_address(address), domain, dns, [MOST_LOOKUPS])
    except SpfTempError:
        return "temperror"
    except (_PermError, ValueError):
        return "permerror"


async def _evaluate(ip: IP, domain: str, dns: SpfDns, budget: list[int]) -> SpfResult:
    records = [r for r in await dns.txt_records(domain) if _is_spf(r)]
    if not records:
        return "none"
    if len(records) > 1:
        raise _PermError("two SPF records")  # section 4.5
    terms = records[0].decode("ascii", "replace").split()[1:]
    redirect = None
    for term in terms:
        if "%" in term:
            raise _PermError("macros")
        if term.lower().startswith("redirect="):
            redirect = term[len("redirect=") :]
            continue
        if "=" in term:  # exp= and unknown modifiers (section 6)
            continue
        qualifier = term[0] if term[0] in _QUALIFIERS else "+"
        if await _matches(ip, term.lstrip("+-~?"), domain, dns, budget):
            return _QUALIFIERS[qualifier]
    if redirect is None:
        return "neutral"
    _spend(budget)
    result = await _evaluate(ip, redirect, dns, budget)
    if result == "none":
        raise _PermError("redirect to a domain without SPF")
    return result


async def _matches(  # noqa: PLR0911 (one answer per mechanism, RFC 7208 section 5)
    ip: IP, mechanism: str, domain: str, dns: SpfDns, budget: list[int]
) -> bool:
    name, _, argument = mechanism.partition(":")
    name = name.lower()
    if name in ("ip4", "ip6"):
        network = ipaddress.ip_network(argument, strict=False)
        return network.version == ip.version and ip in network
    name, _, lengths = name.partition("/")  # a/24, mx//64
    if "/" in argument:
        argument, _, lengths = argument.partition("/")  # a:host.example/24
    if name in _LOOKUPS:
        _spend(budget)
    target = argument or domain
    if name == "all":
        return True
    if name == "a":
        return _in_any(ip, await dns.addresses(target, ip.version), lengths)
    if name == "mx":
        hosts = (await dns.mx_hosts(target))[:MOST_LOOKUPS]
        return any([_in_any(ip, await dns.addresses(h, ip.version), lengths) for h in hosts])
    if name == "include":
        result = await _evaluate(ip, argument, dns, budget)
        if result in ("none", "permerror"):
            raise _PermError("include of a domain without SPF")
        return result == "pass"
    if name == "exists":
        return bool(await dns.addresses(argument, 4))
    if name == "ptr":
        return False  # deprecated (section 5.5): never a match here
    raise _PermError(f"unknown mechanism {name!r}")


def _in_any(ip: IP, addresses: list[str], lengths: str) -> bool:
    """Whether ``ip`` is one of ``addresses`` or in their networks (``/24``, ``//64``)."""
    four, _, six = lengths.partition("/")
    prefix = (four if ip.version == 4 else six.lstrip("/")) or str(ip.max_prefixlen)
    return any(ip in ipaddress.ip_network(f"{a}/{prefix}", strict=False) for a in addresses)


def _spend(budget: list[int]) -> None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _PermError("more than 10 DNS look-ups")  # section 4.6.4


def _is_spf(record: bytes) -> bool:
    return record.lower() == b"v=spf1" or record.lower().startswith(b"v=spf1 ")
