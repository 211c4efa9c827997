"""The command models: one frozen pydantic model per command, each valid by construction.

Only intrinsic validity lives here (a count of 0 or a port of 70000 is never valid); how much
a person may ask for is policy (``cloudping.policy.Limits``), checked by the parser.
Field names follow the long flag names; ``from_`` is ``"from"`` in JSON.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from cloudping.commands import commandnames, names
from cloudping.commands.fieldtypes import (
    Address,
    AddressOrPrefix,
    Asn,
    AsPath,
    CaPem,
    Cidr,
    Community,
    Count,
    DnsNames,
    DnsServer,
    Family,
    Flag,
    Headers,
    Host,
    Hostname,
    HostPorts,
    Hosts,
    HttpVersionField,
    MethodField,
    Name,
    Names,
    Port,
    ProtoField,
    RecordType,
    Retries,
    RouteLimit,
    Seconds,
    Size,
    Text,
    TransportField,
    Ttl,
    Urls,
    cross_field,
)
from cloudping.commands.selection import Selection


def _agents_not_sizes(selection: Selection | None) -> Selection | None:
    """Refuse a bare number as a selector: iputils ping users type ``-s 100`` for a payload
    size, but ``-s`` is ``--from`` in every channel (design.md, "Names")."""
    if selection is None:
        return None
    number = next((t for terms in selection.selectors for t in terms if t.isdigit()), None)
    if number is not None:
        message = f"{number} is not an agent (-s selects agents; the payload size is --size)"
        raise cross_field("from.selectors", message)
    return selection


From = Annotated[Selection | None, AfterValidator(_agents_not_sizes), Field(alias="from")]


class CommandModel(BaseModel):
    """Base of the command models: frozen, strict about unknown fields."""

    # defer_build: a model's validator is built when it first validates, so a process that
    # parses one command builds that one only (all of them cost ~10 ms of CLI start-up).
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
    )

    command: str


def _port_needs_proto(proto: str, port: int | None) -> None:
    if port is not None and proto == "icmp":
        raise cross_field("port", "a port needs {proto} udp or tcp")


def _family_fits(family: int | None, hosts: Iterable[str]) -> None:
    for host in hosts:
        version = names.literal_family(host)
        if family is not None and version is not None and version != family:
            raise cross_field("family", f"{host} is an IPv{version} address")


class PingCommand(CommandModel):
    """ICMP echo (or UDP/TCP probes) to one or more targets."""

    command: Literal["ping"] = "ping"
    targets: Hosts
    family: Family | None = None
    count: Count = 4
    interval: Seconds = 1.0
    timeout: Seconds = 2.0
    size: Size = 56
    ttl: Ttl | None = None
    df: Flag = False
    proto: ProtoField = "icmp"
    port: Port | None = None
    from_: From = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _port_needs_proto(self.proto, self.port)
        _family_fits(self.family, self.targets)
        return self


class TracerouteCommand(CommandModel):
    """The path to one target, hop by hop."""

    command: Literal["traceroute"] = "traceroute"
    target: Host
    family: Family | None = None
    queries: Count = 3
    max_hops: Ttl = 30
    first_hop: Ttl = 1
    timeout: Seconds = 2.0
    proto: ProtoField = "icmp"
    port: Port | None = None
    paris: Flag = False
    size: Size = 32
    df: Flag = False
    from_: From = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _port_needs_proto(self.proto, self.port)
        _family_fits(self.family, [self.target])
        if self.first_hop > self.max_hops:
            message = (
                f"first hop {self.first_hop} is beyond the last hop {self.max_hops} ({{max_hops}})"
            )
            raise cross_field("first_hop", message)
        return self


class MtrCommand(CommandModel):
    """Traceroute and ping combined: loss and latency per hop over several rounds."""

    command: Literal["mtr"] = "mtr"
    target: Host
    family: Family | None = None
    count: Count = 10
    interval: Seconds = 1.0
    max_hops: Ttl = 30
    proto: ProtoField = "icmp"
    port: Port | None = None
    from_: From = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _port_needs_proto(self.proto, self.port)
        _family_fits(self.family, [self.target])
        return self


class TcpingCommand(CommandModel):
    """TCP connect times to ``host[:port]`` targets (port 443 unless given)."""

    command: Literal["tcping"] = "tcping"
    targets: HostPorts
    family: Family | None = None
    count: Count = 4
    interval: Seconds = 1.0
    timeout: Seconds = 2.0
    from_: From = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _family_fits(self.family, (host for host, _ in self.endpoints))
        return self

    @property
    def endpoints(self) -> tuple[tuple[str, int], ...]:
        """Each target as ``(host, port)``; brackets of ``[v6]:port`` removed."""
        return tuple(names.split_host_port(target, TCPING_DEFAULT_PORT) for target in self.targets)


TCPING_DEFAULT_PORT = 443


class DnsCommand(CommandModel):
    """DNS queries for one or more names."""

    command: Literal["dns"] = "dns"
    names: DnsNames
    type: RecordType = "A"
    server: DnsServer | None = None
    transport: TransportField = "udp"
    sni: Hostname | None = None
    ca_pem: CaPem | None = None
    dnssec: Flag = False
    trace: Flag = False
    from_: From = None

    @model_validator(mode="before")
    @classmethod
    def _doh_for_url(cls, data: Any) -> Any:
        # A resolver given as https:// URL can only be asked over DoH (RFC 8484).
        if isinstance(data, dict) and "transport" not in data:
            server = data.get("server")
            if isinstance(server, str) and names.is_url(server):
                return {**data, "transport": "doh"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.server is not None and names.is_url(self.server) and self.transport != "doh":
            raise cross_field("transport", "a URL {server} needs {transport} doh")
        if self.sni is not None and self.transport not in ("dot", "doh"):
            raise cross_field("sni", "a TLS name needs {transport} dot or doh")
        if self.trace and self.server is not None:
            raise cross_field("trace", "a trace starts at the root and takes no {server}")
        return self


class HttpCommand(CommandModel):
    """HTTP(S) requests with timings per phase."""

    command: Literal["http"] = "http"
    urls: Urls
    method: MethodField = "GET"
    headers: Headers = ()
    data: Text | None = None
    http: HttpVersionField | None = None
    follow: Flag = False
    insecure: Flag = False
    ca_pem: CaPem | None = None
    max_body: Count | None = None
    timeout: Seconds = 10.0
    family: Family | None = None
    from_: From = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.data is not None and self.method in ("GET", "HEAD"):
            raise cross_field("data", "a body needs {method} POST, PUT, PATCH, DELETE or OPTIONS")
        if self.http == "3" and any(urlsplit(url).scheme.lower() != "https" for url in self.urls):
            raise cross_field("http", "HTTP/3 runs over QUIC: https:// URLs only (RFC 9114)")
        _family_fits(self.family, (urlsplit(url).hostname or "" for url in self.urls))
        return self


class ScanCommand(CommandModel):
    """A sweep of every address of a prefix; ``rate=None`` is the policy's default rate."""

    command: Literal["scan"] = "scan"
    cidr: Cidr
    proto: ProtoField = "icmp"
    port: Port | None = None
    timeout: Seconds = 1.0
    rate: Count | None = None
    retries: Retries = 1
    from_: From = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _port_needs_proto(self.proto, self.port)
        return self

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """The prefix to sweep."""
        return ipaddress.ip_network(self.cidr)


class ListCommand(CommandModel):
    """The agents, with network and place; all of them, or those a selector matches."""

    command: Literal["list"] = "list"
    selector: Selection | None = None

    @model_validator(mode="after")
    def _no_limit(self) -> Self:
        if self.selector is not None and self.selector.limit is not None:
            raise cross_field("selector", "list takes no limit")
        return self


class IpinfoCommand(CommandModel):
    """Network, organisation and place of IP addresses (a host name: of each of its addresses)."""

    command: Literal["ipinfo"] = "ipinfo"
    addresses: Hosts
    providers: Names = ()


class RouteCommand(CommandModel):
    """BGP routes: by address or prefix, origin ASN, neighbor ASN, AS path segment or community."""

    command: Literal["route"] = "route"
    prefix: AddressOrPrefix | None = None
    origin: Asn | None = None
    neighbor: Asn | None = None
    path: AsPath | None = None
    community: Community | None = None
    more_specific: Flag = False
    less_specific: Flag = False
    source: Name | None = None
    limit: RouteLimit | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [key for key in ROUTE_QUERIES if getattr(self, key) is not None]
        if not given:
            raise cross_field(
                "prefix", "give one of {prefix}, {origin}, {neighbor}, {path} or {community}"
            )
        if len(given) > 1:
            raise cross_field(given[1], f"conflicts with {{{given[0]}}}")
        if self.more_specific and self.less_specific:
            raise cross_field("less_specific", "conflicts with {more_specific}")
        if (self.more_specific or self.less_specific) and self.prefix is None:
            key = "more_specific" if self.more_specific else "less_specific"
            raise cross_field(key, "needs a {prefix}")
        return self

    @property
    def address(self) -> Address | None:
        """The address asked about, when ``prefix`` is a single address."""
        return self.prefix if self.prefix and names.ip_literal(self.prefix) else None


ROUTE_QUERIES = ("prefix", "origin", "neighbor", "path", "community")


class VersionCommand(CommandModel):
    """The software version of the hub and the agents."""

    command: Literal["version"] = "version"


JTI_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # a token's jti (ours: 32 hex digits; older: base64url)


class TokenCommand(CommandModel):
    """A personal API/MCP token: issue one, or revoke one by its id."""

    command: Literal["token"] = "token"
    revoke: Annotated[str | None, Field(pattern=JTI_PATTERN)] = None


class HelpCommand(CommandModel):
    """Help on one command, or the list of commands."""

    command: Literal["help"] = "help"
    topic: Annotated[str | None, BeforeValidator(commandnames.topic)] = None


Command = Annotated[
    PingCommand
    | TracerouteCommand
    | MtrCommand
    | TcpingCommand
    | DnsCommand
    | HttpCommand
    | ScanCommand
    | ListCommand
    | IpinfoCommand
    | RouteCommand
    | VersionCommand
    | TokenCommand
    | HelpCommand,
    Field(discriminator="command"),
]
