"""Hypothesis strategies for valid commands of every kind (within DEFAULT_LIMITS)."""

from __future__ import annotations

import ipaddress
from typing import Any, cast

from hypothesis import strategies as st
from pydantic import ValidationError

from cloudping.commands import ALIASES, COMMAND_NAMES, Command, Selection
from cloudping.commands.dnstypes import RECORD_TYPES
from cloudping.commands.table import SPECS

_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_ALPHA_LABEL = st.from_regex(r"[a-z](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_UNUSUAL_NAMES = st.sampled_from(
    ["from", "FROM", "münchen.de", "bücher.example", "\u2014x.example", "localhost", "xn--n3h.com"]
)
hostnames = st.one_of(
    st.builds(
        lambda labels, tld: ".".join([*labels, tld]), st.lists(_LABEL, max_size=3), _ALPHA_LABEL
    ),
    _UNUSUAL_NAMES,
)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
addresses = st.one_of(ipv4, ipv6)
hosts = st.one_of(hostnames, addresses)
ports = st.integers(1, 65535)
seconds_interval = st.one_of(st.sampled_from([0.2, 0.5, 1.0, 60.0]), st.floats(0.2, 60.0))
seconds_timeout = st.one_of(st.sampled_from([0.1, 2.0, 30.0]), st.floats(0.1, 30.0))
_TERM = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,10}", fullmatch=True)
selector_lists = st.lists(
    st.lists(_TERM, min_size=1, max_size=3).map(tuple), min_size=1, max_size=3
)
selections = st.one_of(
    st.builds(
        Selection,
        selectors=selector_lists.map(tuple),
        limit=st.none() | st.integers(1, 50),
    ),
    st.builds(Selection, limit=st.integers(1, 50)),
)
_PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn"))
texts = st.text(_PRINTABLE, max_size=30)
_TOKEN = st.from_regex(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}", fullmatch=True)
_HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
headers = st.tuples(_TOKEN, _HEADER_VALUE)
_PATH = st.from_regex(r"[A-Za-z0-9._~/?=&%'-]{0,20}", fullmatch=True)


def _url(scheme: str, host: str, port: int | None, path: str) -> str:
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}{'' if port is None else f':{port}'}/{path}"


urls = st.builds(
    _url,
    st.sampled_from(["http", "https", "HTTPS"]),
    st.one_of(hostnames.filter(lambda h: h.lower() != "from"), addresses),
    st.none() | ports,
    _PATH,
)


def _host_port(host: str, port: int | None) -> str:
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


host_ports = st.builds(_host_port, hosts, st.none() | ports)
dns_names = st.one_of(
    hostnames,
    addresses,
    st.just("."),
    hostnames.map(lambda h: h + "."),
    _ALPHA_LABEL.map(lambda label: f"_{label}.example"),
)
dns_servers = st.one_of(
    addresses,
    st.builds(_host_port, hosts, ports),
    st.just("https://dns.google/dns-query"),
)


def _v4_network(address: int, prefixlen: int) -> str:
    return str(ipaddress.IPv4Network((address, prefixlen), strict=False))


def _v6_network(address: int, prefixlen: int) -> str:
    return str(ipaddress.IPv6Network((address, prefixlen), strict=False))


cidrs = st.one_of(
    st.builds(_v4_network, st.integers(0, 2**32 - 1), st.integers(20, 32)),
    st.builds(_v6_network, st.integers(0, 2**128 - 1), st.integers(116, 128)),
)
prefixes = st.one_of(
    st.builds(_v4_network, st.integers(0, 2**32 - 1), st.integers(0, 32)),
    st.builds(_v6_network, st.integers(0, 2**128 - 1), st.integers(0, 128)),
)
asns = st.integers(1, 4_294_967_295)
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,10}", fullmatch=True)
families = st.sampled_from([4, 6])
protos = st.sampled_from(["icmp", "udp", "tcp"])

_FROM = {"from": selections}
_FIELDS: dict[str, tuple[dict[str, st.SearchStrategy[Any]], dict[str, st.SearchStrategy[Any]]]] = {
    "ping": (
        {"targets": st.lists(hosts, min_size=1, max_size=10).map(tuple)},
        {
            "family": families,
            "count": st.integers(1, 100),
            "interval": seconds_interval,
            "timeout": seconds_timeout,
            "size": st.integers(0, 65500),
            "ttl": st.integers(1, 255),
            "df": st.booleans(),
            "proto": protos,
            "port": ports,
            **_FROM,
        },
    ),
    "traceroute": (
        {"target": hosts},
        {
            "family": families,
            "queries": st.integers(1, 10),
            "max_hops": st.integers(1, 64),
            "first_hop": st.integers(1, 64),
            "timeout": seconds_timeout,
            "proto": protos,
            "port": ports,
            "paris": st.booleans(),
            "size": st.integers(0, 65500),
            **_FROM,
        },
    ),
    "mtr": (
        {"target": hosts},
        {
            "family": families,
            "count": st.integers(1, 100),
            "interval": seconds_interval,
            "max_hops": st.integers(1, 64),
            "proto": protos,
            "port": ports,
            **_FROM,
        },
    ),
    "tcping": (
        {"targets": st.lists(host_ports, min_size=1, max_size=10).map(tuple)},
        {
            "family": families,
            "count": st.integers(1, 100),
            "interval": seconds_interval,
            "timeout": seconds_timeout,
            **_FROM,
        },
    ),
    "dns": (
        {"names": st.lists(dns_names, min_size=1, max_size=10).map(tuple)},
        {
            "type": st.one_of(st.sampled_from(list(RECORD_TYPES)), st.integers(1, 65535)),
            "server": dns_servers,
            "transport": st.sampled_from(["udp", "tcp", "dot", "doh"]),
            "sni": hostnames.filter(lambda h: h.lower() != "from"),
            "dnssec": st.booleans(),
            "trace": st.booleans(),
            **_FROM,
        },
    ),
    "http": (
        {"urls": st.lists(urls, min_size=1, max_size=10).map(tuple)},
        {
            "method": st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
            "headers": st.lists(headers, max_size=5).map(tuple),
            "data": texts,
            "http": st.sampled_from(["1.1", "2", "3"]),
            "follow": st.booleans(),
            "insecure": st.booleans(),
            "max_body": st.integers(1, 1_048_576),
            "timeout": seconds_timeout,
            "family": families,
            **_FROM,
        },
    ),
    "scan": (
        {"cidr": cidrs},
        {
            "proto": protos,
            "port": ports,
            "timeout": seconds_timeout,
            "rate": st.integers(1, 10_000),
            **_FROM,
        },
    ),
    "list": ({}, {"selector": selector_lists.map(lambda s: Selection(selectors=tuple(s)))}),
    "ipinfo": (
        {"addresses": st.lists(addresses, min_size=1, max_size=10).map(tuple)},
        {"providers": st.lists(names, min_size=1, max_size=3).map(tuple)},
    ),
    "route": ({}, {"source": names}),
    "version": ({}, {}),
    "token": ({}, {"revoke": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)}),
    "help": ({}, {"topic": st.sampled_from(COMMAND_NAMES)}),
}


def _build(name: str, data: dict[str, Any]) -> Command | None:
    try:
        return cast(Command, SPECS[name].model.model_validate(data))
    except ValidationError:
        return None


_ROUTE_QUERIES: list[dict[str, st.SearchStrategy[Any]]] = [
    {"prefix": st.one_of(addresses, prefixes)},
    {"origin": asns},
    {"neighbor": asns},
    {"path": st.lists(asns, min_size=1, max_size=5).map(tuple)},
]


def commands_of(name: str) -> st.SearchStrategy[Command]:
    """Valid commands named ``name`` (drafts that break a cross-field rule are dropped)."""
    required, optional = _FIELDS[name]
    drafts = st.fixed_dictionaries(required, optional=optional)
    if name == "route":
        queries = st.one_of([st.fixed_dictionaries(query) for query in _ROUTE_QUERIES])
        drafts = st.builds(lambda draft, query: {**draft, **query}, drafts, queries)
    built = drafts.map(lambda data: _build(name, data))
    return built.filter(lambda command: command is not None).map(
        lambda command: cast(Command, command)
    )


commands = st.one_of([commands_of(name) for name in COMMAND_NAMES])


# --- hostile input: what a person, a bot or an attacker may send as a command ---------------

# Any code point, with surrogates (a JSON body may carry "\ud800"), controls and format
# characters (bidi marks) drawn often: they are rare among 1.1 million code points.
any_characters = st.one_of(
    st.characters(categories=["Cs", "Cc", "Cf"]), st.characters(exclude_categories=())
)
_ODD_WORDS = st.sampled_from(
    ["\u202e", "\u200f", "\u200b", "\ufeff", "\x00", "\x1b[2J", "'", '"', "\u201c", "\u2018",
     "\\", "--", "\u2014", "\u2013", "from", "FROM", "=", ",", "+", "%00", "\ud800", "\udfff",
     "\n", "\r\n", "\uff11", "\u00b9", "\u2460", "\u0661", "NaN", "inf", "-0", "1e309",
     "0x10", "1_000", "::ffff:127.0.0.1", "[::1]:53", "file:///etc/passwd", "/dev/stdin"]
)  # fmt: skip
_HUGE_NUMBERS = st.one_of(
    st.integers(-(10**40), 10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(0, 10**6).map(lambda n: f"{n}ms"),
)
_GRAMMAR_WORDS = st.sampled_from(
    sorted(
        {*COMMAND_NAMES, *ALIASES, "-h", "--help", "--ca", "--ca=/dev/stdin"}
        | {flag for spec in SPECS.values() for flag in spec.flags}
    )
)
hostile_words = st.one_of(
    _GRAMMAR_WORDS,
    _ODD_WORDS,
    _HUGE_NUMBERS,
    st.text(any_characters, max_size=12),
    hosts,
    cidrs,
    urls,
)
_SEPARATORS = st.sampled_from([" ", "  ", "\t", " \u00a0 ", "\u3000"])
hostile_texts = st.one_of(
    st.builds(
        lambda first, rest, separator: separator.join([first, *rest]),
        st.sampled_from([*COMMAND_NAMES, *ALIASES, "/ping", "PING"]),
        st.lists(hostile_words, max_size=8),
        _SEPARATORS,
    ),
    st.text(any_characters, max_size=40),
)
_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False),
    st.text(any_characters, max_size=12),
    hostile_words,
)
hostile_json = st.recursive(
    _JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELD_NAMES = sorted(
    {key for spec in SPECS.values() for key in spec.model.model_fields} | {"from", "ca"}
)
hostile_forms = st.builds(
    lambda name, fields: {"command": name, **fields},
    st.sampled_from([*COMMAND_NAMES, "nope"]),
    st.dictionaries(st.sampled_from(_FIELD_NAMES) | st.text(max_size=6), hostile_json, max_size=5),
)
