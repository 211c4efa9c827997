"""Words that name things on the network: host names, IP literals, DNS names, URLs, ports, ASNs.

Each check takes the word as typed and returns it unchanged (a target stays what the person
wrote; resolving it is the probe's job) or raises ``ValueError`` naming it.
"""

from __future__ import annotations

import encodings.idna
import ipaddress
import re
from urllib.parse import urlsplit

from cloudping.commands.values import forbidden_character, shown
from cloudping.special import SPECIAL_RANGES, Network

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 1123 section 2.1: letters, digits and hyphens, not at either end, 1-63 octets.
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# DNS names (RFC 2181 section 11) also carry underscores: _dmarc.example.com, _443._tcp.x.
_DNS_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_MAX_NAME = 253
ROUTE_LIMIT_MAX = 10_000  # routes in one answer of the route command
_MAX_URL = 2048
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ASN = re.compile(r"(?:AS)?([0-9]{1,10})", re.IGNORECASE)
ASN_MAX = 4_294_967_295  # RFC 6793: four-octet AS numbers
PORT_MAX = 65535


def ip_literal(word: str) -> IPAddress | None:
    """The address ``word`` spells, or None; zone ids (``fe80::1%eth0``) are not addresses here."""
    if "%" in word:
        return None
    try:
        return ipaddress.ip_address(word)
    except ValueError:
        return None


def literal_family(word: str) -> int | None:
    """4 or 6 when ``word`` is an IP literal, else None."""
    address = ip_literal(word)
    return None if address is None else address.version


def _ascii_labels(name: str) -> list[str] | None:
    """The labels of ``name`` in ASCII (IDNA 2003 ToASCII), or None when a label cannot be."""
    try:
        return [encodings.idna.ToASCII(label).decode("ascii") for label in name.split(".")]
    except UnicodeError:
        return None


def _is_name(word: str, label: re.Pattern[str]) -> bool:
    # Nameprep maps soft hyphens and zero-width joiners to nothing; refuse them instead.
    if forbidden_character(word) is not None:
        return False
    name = word.removesuffix(".")
    labels = _ascii_labels(name) if name else None
    if not labels or len(".".join(labels)) > _MAX_NAME:
        return False
    # RFC 3696 section 2: a top-level domain is never all-numeric, so 999.1.1.1 is a bad address.
    return all(label.fullmatch(part) for part in labels) and not labels[-1].isdigit()


def is_hostname(word: str) -> bool:
    """True for an RFC 1123 host name (IDNs allowed), at most 253 characters."""
    return _is_name(word, _HOST_LABEL)


def check_host(word: str) -> str:
    """A host name or an IP literal, as typed."""
    if ip_literal(word) is None and not is_hostname(word):
        raise ValueError(f"{shown(word)} is not a valid host name or IP address")
    return word


def check_hostname(word: str) -> str:
    """A host name (not an address), as typed."""
    if not is_hostname(word):
        raise ValueError(f"{shown(word)} is not a valid host name")
    return word


def check_address(word: str) -> str:
    """An IP literal, as typed."""
    if ip_literal(word) is None:
        raise ValueError(f"{shown(word)} is not a valid IP address")
    return word


def check_dns_name(word: str) -> str:
    """A DNS name to query (underscores allowed, ``.`` is the root) or an IP literal."""
    if word != "." and ip_literal(word) is None and not _is_name(word, _DNS_LABEL):
        raise ValueError(f"{shown(word)} is not a valid DNS name")
    return word


def _port(text: str, word: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= PORT_MAX:
        raise ValueError(f"{shown(word)} has a bad port (1-{PORT_MAX})")
    return int(text)


def split_host_port(word: str, default_port: int = 443) -> tuple[str, int]:
    """Split ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 literal.

    Returns:
        The host (without brackets) and the port (``default_port`` when none is given).

    Raises:
        ValueError: when the host or the port is malformed.
    """
    host, port = word, default_port
    if word.startswith("["):
        inner, bracket, rest = word[1:].partition("]")
        if not bracket or literal_family(inner) != 6 or (rest and not rest.startswith(":")):
            raise ValueError(f"{shown(word)} is not a valid [IPv6]:port")
        host, port = inner, _port(rest[1:], word) if rest else default_port
    elif word.count(":") == 1:
        host, _, port_text = word.partition(":")
        port = _port(port_text, word)
    if ip_literal(host) is None and not is_hostname(host):
        raise ValueError(f"{shown(word)} is not a valid host name or IP address")
    return host, port


def check_host_port(word: str) -> str:
    """A ``host[:port]`` word, as typed."""
    split_host_port(word)
    return word


def check_url(word: str, schemes: frozenset[str] = frozenset({"http", "https"})) -> str:
    """An absolute http(s) URL naming a valid host, as typed."""
    try:
        parts = urlsplit(word)
        port = parts.port
    except ValueError:
        raise ValueError(f"{shown(word)} is not a valid URL") from None
    if parts.scheme.lower() not in schemes:
        wanted = " or ".join(sorted(schemes))
        raise ValueError(f"{shown(word)} is not an {wanted} URL")
    host = parts.hostname or ""
    if len(word) > _MAX_URL or not host or "@" in parts.netloc or any(c.isspace() for c in word):
        raise ValueError(f"{shown(word)} is not a valid URL")
    if port == 0 or (ip_literal(host) is None and not is_hostname(host)):
        raise ValueError(f"{shown(word)} does not name a valid host")
    return word


def check_dns_server(word: str) -> str:
    """A resolver: ``ADDR``, ``ADDR:PORT``, ``[v6]:PORT``, a host name, or a DoH URL."""
    if "://" in word:
        return check_url(word, frozenset({"https"}))
    split_host_port(word, 53)
    return word


def is_url(word: str) -> bool:
    """True when ``word`` has a URL scheme (``https://...``)."""
    return "://" in word


def check_name(word: str) -> str:
    """A short identifier (an IP info provider, a BGP source): letters, digits, ``._-``."""
    if not _NAME.fullmatch(word):
        raise ValueError(f"{shown(word)} is not a valid name (letters, digits, '.', '_', '-')")
    return word


def asn(value: object) -> object:
    """An AS number from ``13335``, ``"13335"`` or ``"AS13335"``; other values pass through."""
    if isinstance(value, str):
        match = _ASN.fullmatch(value)
        if not match:
            raise ValueError(f"{shown(value)} is not an AS number")
        return int(match[1])
    return value


def as_path(value: object) -> object:
    """An AS path from ``"AS3320 174 13335"`` (spaces or commas) or a list of numbers."""
    if isinstance(value, str):
        return tuple(asn(word) for word in value.replace(",", " ").split())
    return value


def community(word: str) -> str:
    """A BGP community: standard ``A:B`` (RFC 1997, 16-bit parts) or large ``A:B:C`` (RFC 8092,
    32-bit parts), in canonical decimal form."""
    parts = word.split(":")
    top = {2: 0xFFFF, 3: ASN_MAX}.get(len(parts))
    if top is None or not all(part.isdigit() and len(part) <= 10 for part in parts):
        raise ValueError(f"{shown(word)} is not a community (A:B or A:B:C)")
    numbers = [int(part) for part in parts]
    if any(number > top for number in numbers):
        raise ValueError(f"{shown(word)} is not a community: a part is over {top}")
    return ":".join(map(str, numbers))


def network(word: str) -> Network:
    """The network ``word`` spells (host bits allowed: ``10.0.0.1/24`` is ``10.0.0.0/24``)."""
    if "/" not in word or "%" in word:
        raise ValueError(f"{shown(word)} is not a valid CIDR prefix")
    try:
        return ipaddress.ip_network(word, strict=False)
    except ValueError:
        raise ValueError(f"{shown(word)} is not a valid CIDR prefix") from None


def address_or_prefix(word: str) -> str:
    """An IP literal as typed, or a prefix in canonical form (``1.1.1.1/24`` -> ``1.1.1.0/24``)."""
    if ip_literal(word) is not None:
        return word
    try:
        return str(network(word))
    except ValueError:
        raise ValueError(f"{shown(word)} is not a valid IP address or prefix") from None


# Ranges no sweep may touch, whichever agent runs it: RFC 1122 "this network" and limited
# broadcast, RFC 3927/4291 link-local, RFC 5771/4291 multicast. Loopback is not among them:
# like a private range, the agent sweeps it when it serves it (`cloudping up` serves its own).
_NEVER_SWEPT: tuple[tuple[str, Network], ...] = (
    ("unspecified", ipaddress.ip_network("0.0.0.0/8")),
    ("link-local", ipaddress.ip_network("169.254.0.0/16")),
    ("multicast", ipaddress.ip_network("224.0.0.0/4")),
    ("broadcast", ipaddress.ip_network("255.255.255.255/32")),
    ("unspecified", ipaddress.ip_network("::/128")),
    ("link-local", ipaddress.ip_network("fe80::/10")),
    ("multicast", ipaddress.ip_network("ff00::/8")),
)


def check_scan_cidr(word: str) -> str:
    """A prefix a scan may sweep, in canonical form; special-purpose ranges are refused, and
    IPv6 ranges that carry IPv4 addresses (``::ffff:127.0.0.0/120``): sweep the IPv4 range."""
    net = network(word)
    for what, special in _NEVER_SWEPT:
        if net.version == special.version and net.overlaps(special):
            raise ValueError(f"{shown(word)} overlaps the {what} range {special}")
    for row in SPECIAL_RANGES:
        if row.embeds is not None and net.version == 6 and net.overlaps(row.network):
            raise ValueError(
                f"{shown(word)} overlaps {row.network} ({row.name}, {row.rfc}), which carries "
                "IPv4 addresses: scan the IPv4 range itself"
            )
    return str(net)
