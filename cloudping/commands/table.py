"""The commands of the shared grammar, as data: one ``CommandSpec`` each.

The parser, the formatter, the help text and the JSON Schemas all read this table; a new
option is one line here (plus its field in ``model.py``).
"""

from __future__ import annotations

from cloudping.commands import kinds, ranges
from cloudping.commands.commandnames import (
    ALIASES,
    COMMAND_NAMES,
    GENERAL_USAGE,
    canonical_name,
    unknown_command,
)
from cloudping.commands.fieldtypes import HttpVersion, Proto, Transport
from cloudping.commands.model import (
    JTI_PATTERN,
    CommandModel,
    DnsCommand,
    HelpCommand,
    HttpCommand,
    IpinfoCommand,
    ListCommand,
    MtrCommand,
    PingCommand,
    RouteCommand,
    ScanCommand,
    TcpingCommand,
    TokenCommand,
    TracerouteCommand,
    VersionCommand,
)
from cloudping.commands.spec import CommandSpec, Kind, OptionSpec, PositionalSpec
from cloudping.errors import UsageError

# --- options shared by several commands ------------------------------------------------------

FAMILY = (
    OptionSpec("family", ("-4", "--ipv4"), "use IPv4 only", kinds.FAMILY, const=4),
    OptionSpec("family", ("-6", "--ipv6"), "use IPv6 only", kinds.FAMILY, const=6),
)
FROM = (
    OptionSpec(
        "from.selectors",
        ("-s", "--from"),
        "agents to run on; ',' = or, '+' = and",
        kinds.SELECTORS,
        "SELECTOR[,SELECTOR...]",
    ),
    OptionSpec(
        "from.limit", ("--limit",), "run on at most N agents", kinds.INTEGER, "N", ranges.agents
    ),
)
INTERVAL = OptionSpec(
    "interval",
    ("-i", "--interval"),
    "seconds between packets",
    kinds.SECONDS,
    "SEC",
    ranges.interval,
)
PROTO = OptionSpec("proto", ("--proto",), "probe protocol", kinds.choice(Proto), "icmp|udp|tcp")
PORT = OptionSpec(
    "port", ("-p", "--port"), "destination port (udp and tcp)", kinds.INTEGER, "PORT", ranges.port
)
SIZE = OptionSpec(
    "size", ("--size",), "payload bytes per packet", kinds.INTEGER, "BYTES", ranges.size
)
# design.md: `--ca FILE` is read by the CLI and travels as `ca_pem`; a command names no file
# on the hub or an agent, so this field has no word in the text grammar.
CA_PEM = OptionSpec(
    "ca_pem",
    (),
    "CA certificates to trust instead of the system's (PEM text; the CLI's --ca FILE)",
    kinds.PEM,
    "PEM",
)
MAX_HOPS = OptionSpec(
    "max_hops",
    ("-m", "--max-hops"),
    "stop after this many hops",
    kinds.INTEGER,
    "MAXHOPS",
    ranges.hops,
)


def _count_option(text: str) -> OptionSpec:
    return OptionSpec("count", ("-c", "--count"), text, kinds.INTEGER, "N", ranges.count)


def _timeout_option(text: str) -> OptionSpec:
    return OptionSpec("timeout", ("-W", "--timeout"), text, kinds.SECONDS, "SEC", ranges.timeout)


def _flag(key: str, flags: tuple[str, ...], text: str) -> OptionSpec:
    return OptionSpec(key, flags, text, kinds.FLAG, const=True)


def _many(key: str, metavar: str, text: str, noun: str, kind: Kind) -> PositionalSpec:
    return PositionalSpec(key, metavar, text, kind, noun, many=True, bounds=ranges.targets)


HOST = kinds.string(maxLength=253)
HOST_TARGET = PositionalSpec("target", "TARGET", "host name or IP address", HOST, "targets")

# --- the commands ----------------------------------------------------------------------------

PING = CommandSpec(
    "ping",
    PingCommand,
    (
        *FAMILY,
        _count_option("packets to send to each target"),
        INTERVAL,
        _timeout_option("seconds to wait for each reply"),
        SIZE,
        OptionSpec("ttl", ("--ttl",), "time to live (hop limit)", kinds.INTEGER, "N", ranges.ttl),
        _flag("df", ("--df",), "set don't fragment (IPv4)"),
        PROTO,
        PORT,
        *FROM,
    ),
    _many("targets", "TARGET", "host name or IP address", "targets", HOST),
    ("ping -c 3 example.com", "ping from DE+AS3320,fra1 1.1.1.1 2606:4700::1111"),
)
TRACEROUTE = CommandSpec(
    "traceroute",
    TracerouteCommand,
    (
        *FAMILY,
        OptionSpec(
            "queries", ("-q", "--queries"), "probes per hop", kinds.INTEGER, "N", ranges.queries
        ),
        MAX_HOPS,
        OptionSpec(
            "first_hop",
            ("-f", "--first-hop"),
            "start at this hop",
            kinds.INTEGER,
            "FIRSTHOP",
            ranges.hops,
        ),
        _timeout_option("seconds to wait for each probe"),
        PROTO,
        PORT,
        _flag("paris", ("--paris",), "keep the flow id constant (Paris traceroute)"),
        SIZE,
        _flag("df", ("--df",), "set don't fragment: find the path MTU with --size"),
        *FROM,
    ),
    HOST_TARGET,
    ("traceroute example.com", "trace --proto tcp -p 443 -s fra1 1.1.1.1"),
)
MTR = CommandSpec(
    "mtr",
    MtrCommand,
    (*FAMILY, _count_option("rounds to run"), INTERVAL, MAX_HOPS, PROTO, PORT, *FROM),
    HOST_TARGET,
    ("mtr -c 20 example.com",),
)
TCPING = CommandSpec(
    "tcping",
    TcpingCommand,
    (
        *FAMILY,
        _count_option("connections to open to each target"),
        INTERVAL,
        _timeout_option("seconds to wait for each connection"),
        *FROM,
    ),
    _many("targets", "HOST[:PORT]", "host name or address, [IPv6]:port", "targets", HOST),
    ("tcping example.com:22 [2001:db8::1]:443",),
)
DNS = CommandSpec(
    "dns",
    DnsCommand,
    (
        OptionSpec("type", ("-t", "--type"), "record type", kinds.RECORD_TYPE, "TYPE"),
        OptionSpec(
            "server",
            ("--server",),
            "resolver: ADDR[:PORT], or an https:// URL for DoH (POST; GET if it ends {?dns})",
            kinds.string(),
            "SERVER",
        ),
        OptionSpec(
            "transport",
            ("--transport",),
            "how to ask (DNS over QUIC: not yet)",
            kinds.choice(Transport),
            "udp|tcp|dot|doh",
        ),
        OptionSpec("sni", ("--sni",), "TLS server name (dot, doh)", kinds.string(), "NAME"),
        CA_PEM,
        _flag("dnssec", ("--dnssec",), "ask for DNSSEC records and validation"),
        _flag("trace", ("--trace",), "follow the delegation from the root"),
        *FROM,
    ),
    _many("names", "NAME", "name to resolve", "names", HOST),
    ("dns -t AAAA example.com", "dns --server https://dns.google/dns-query example.com"),
)
HTTP = CommandSpec(
    "http",
    HttpCommand,
    (
        OptionSpec(
            "method", ("-X", "--method", "--request"), "request method", kinds.METHOD, "METHOD"
        ),
        OptionSpec(
            "headers",
            ("-H", "--header"),
            "request header (repeatable)",
            kinds.HEADER,
            "'Name: value'",
            repeat=True,
        ),
        OptionSpec(
            "data", ("-d", "--data"), "request body (with -X POST, PUT...)", kinds.TEXT, "BODY"
        ),
        OptionSpec("http", ("--http",), "HTTP version", kinds.choice(HttpVersion), "1.1|2|3"),
        _flag("follow", ("-L", "--follow", "--location"), "follow redirects"),
        _flag("insecure", ("-k", "--insecure"), "do not verify the TLS certificate"),
        CA_PEM,
        OptionSpec(
            "max_body",
            ("--max-body",),
            "response bytes to read (default: the hub's cap)",
            kinds.INTEGER,
            "BYTES",
            ranges.max_body,
        ),
        _timeout_option("seconds to wait for the whole request"),
        *FAMILY,
        *FROM,
    ),
    _many("urls", "URL", "http:// or https:// URL", "URLs", kinds.string(format="uri")),
    (
        "http -L https://example.com/",
        "http -X POST -H 'Content-Type: text/plain' -d hi https://x.example/",
    ),
)
SCAN = CommandSpec(
    "scan",
    ScanCommand,
    (
        PROTO,
        PORT,
        _timeout_option("seconds to wait for each address"),
        OptionSpec(
            "rate",
            ("--rate",),
            "packets per second (default: the hub's)",
            kinds.INTEGER,
            "PPS",
            ranges.rate,
        ),
        OptionSpec(
            "retries",
            ("-r", "--retries"),
            "probes again to an address that did not answer",
            kinds.INTEGER,
            "N",
            ranges.retries,
        ),
        *FROM,
    ),
    PositionalSpec("cidr", "CIDR", "prefix to sweep (at most a /20)", kinds.string(), "prefixes"),
    ("scan 192.0.2.0/24", "probe --proto tcp -p 22 -s fra1 198.51.100.0/24"),
    check=ranges.scan_size,
)
LIST = CommandSpec(
    "list",
    ListCommand,
    positional=PositionalSpec(
        "selector",
        "SELECTOR",
        "only agents this selector matches",
        kinds.SELECTION,
        "selectors",
        required=False,
    ),
    examples=("list", "list DE+dn42"),
)
IPINFO = CommandSpec(
    "ipinfo",
    IpinfoCommand,
    (
        OptionSpec(
            "providers",
            ("--provider",),
            "ask only this provider (repeatable)",
            kinds.NAME,
            "NAME",
            repeat=True,
        ),
    ),
    _many("addresses", "ADDRESS|NAME", "IP address or host name", "addresses", kinds.string()),
    ("ipinfo 1.1.1.1", "ipinfo --provider geoip-asn 198.18.3.2 example.net"),
)
ROUTE = CommandSpec(
    "route",
    RouteCommand,
    (
        OptionSpec(
            "origin", ("--origin",), "routes originated by this ASN", kinds.ASN, "ASN", ranges.asn
        ),
        OptionSpec(
            "neighbor", ("--neighbor",), "routes learned via this ASN", kinds.ASN, "ASN", ranges.asn
        ),
        OptionSpec(
            "path",
            ("--path",),
            "routes whose AS path has this run of ASNs, in this order",
            kinds.AS_PATH,
            "'ASN ASN ...'",
        ),
        OptionSpec(
            "community",
            ("--community",),
            "routes with this community (A:B) or large community (A:B:C)",
            kinds.COMMUNITY,
            "A:B[:C]",
        ),
        _flag("more_specific", ("--more-specific",), "the prefix and every prefix inside it"),
        _flag("less_specific", ("--less-specific",), "the prefix and every prefix around it"),
        OptionSpec("source", ("--source",), "only this route source", kinds.NAME, "NAME"),
        OptionSpec(
            "limit", ("--limit",), "show at most N routes", kinds.INTEGER, "N", ranges.routes
        ),
    ),
    PositionalSpec(
        "prefix",
        "ADDRESS|PREFIX",
        "an address (longest match and the prefixes covering it) or a prefix",
        kinds.string(),
        "prefixes",
        required=False,
    ),
    (
        "route 1.1.1.1",
        "route --origin AS13335",
        "route --path 'AS174 AS13335'",
        "route 10.0.0.0/8 --more-specific",
        "route --community 65000:1",
    ),
    note="Give exactly one of ADDRESS|PREFIX, --origin, --neighbor, --path and --community.",
)
VERSION = CommandSpec("version", VersionCommand)
TOKEN = CommandSpec(
    "token",
    TokenCommand,
    # A bare word takes its value as a flag does (as `from` does): `token revoke ID`.
    (
        OptionSpec(
            "revoke",
            ("revoke", "--revoke"),
            "revoke your token ID instead",
            kinds.string(pattern=JTI_PATTERN),
            "ID",
        ),
    ),
    examples=("token", "token revoke 5fQv2Xn8kZ1sQdL3aP0wRg"),
)
HELP = CommandSpec(
    "help",
    HelpCommand,
    positional=PositionalSpec(
        "topic",
        "COMMAND",
        "the command to explain",
        kinds.choice_of(COMMAND_NAMES),
        "commands",
        required=False,
    ),
    examples=("help", "help ping"),
)

HELP_OPTION = OptionSpec("help", ("-h", "--help"), "show this help", kinds.FLAG, const=True)
SPECS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        PING,
        TRACEROUTE,
        MTR,
        TCPING,
        DNS,
        HTTP,
        SCAN,
        LIST,
        IPINFO,
        ROUTE,
        VERSION,
        TOKEN,
        HELP,
    )
}
assert tuple(SPECS) == COMMAND_NAMES
assert set(ALIASES.values()) <= set(SPECS)


def spec_for(command: CommandModel) -> CommandSpec:
    """The spec of a command model instance."""
    return SPECS[command.command]


def lookup(word: str) -> CommandSpec:
    """The spec of the command ``word`` names (case-insensitive, aliases allowed).

    Raises:
        UsageError: naming the word, with "did you mean" when a command is close.
    """
    name = canonical_name(word)
    if name is None:
        raise UsageError(unknown_command(word), word=word, usage=GENERAL_USAGE)
    return SPECS[name]


def build_validators() -> None:
    """Build every command's validator now rather than at its first use (``defer_build``).

    A server calls this as it starts: the first validator a process builds makes pydantic read
    every installed package's entry points, file by file, which must not happen on the event
    loop while requests are being served.
    """
    for spec in SPECS.values():
        spec.model.model_rebuild(force=True)
