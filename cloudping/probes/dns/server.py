"""Which DNS server to ask, where, how, and under which TLS name (pure, but for resolv.conf).

``--server`` is ``ADDR``, ``ADDR:PORT``, ``[V6]:PORT``, a host name, or an ``https://`` URL
(DoH, RFC 8484). A URL ending in the RFC 6570 template ``{?dns}`` asks with GET (RFC 8484
4.1: ``?dns=`` base64url of the query); any other URL asks with POST. Without ``--server`` the
first ``nameserver`` of /etc/resolv.conf is asked, as dig does. Default ports: 53 for UDP and
TCP (RFC 1035 4.2), 853 for DoT (RFC 7858 3.1), 443 for DoH.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import dns.resolver

from cloudping.commands import DnsCommand
from cloudping.commands.names import ip_literal, split_host_port
from cloudping.errors import ProbeEnvironmentError

Transport = Literal["udp", "tcp", "dot", "doh"]
DEFAULT_PORTS: dict[str, int] = {"udp": 53, "tcp": 53, "dot": 853, "doh": 443}
GET_TEMPLATE = "{?dns}"
RESOLV_CONF = "/etc/resolv.conf"


@dataclass(frozen=True, slots=True)
class Server:
    """A DNS server as the probe will contact it.

    ``host`` is an address or a name still to resolve; ``tls_name`` is the name its
    certificate must carry (``--sni``, else the host name; ``None``: check the address).
    """

    host: str
    port: int
    transport: Transport
    url: str | None = None
    get: bool = False
    tls_name: str | None = None

    @property
    def label(self) -> str:
        """How events name the server: ``198.18.3.53:853``, ``[2001:db8::53]:53``, a URL."""
        if self.url is not None:
            return self.url + (GET_TEMPLATE if self.get else "")
        return host_port(self.host, self.port)

    @property
    def is_address(self) -> bool:
        return ip_literal(self.host) is not None


def host_port(host: str, port: int) -> str:
    """``host:port`` with an IPv6 address in brackets (RFC 3986 3.2.2)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def server_for(cmd: DnsCommand, resolv_conf: str = RESOLV_CONF) -> Server:
    """The server ``cmd`` asks: its ``--server``, or the system resolver.

    Raises:
        ProbeEnvironmentError: no ``--server`` and no nameserver in ``resolv_conf``.
    """
    transport: Transport = cmd.transport
    if cmd.server is not None and "://" in cmd.server:
        return _doh_server(cmd.server, cmd.sni)
    word = cmd.server if cmd.server is not None else system_nameserver(resolv_conf)
    host, port = split_host_port(word, DEFAULT_PORTS[transport])
    tls_name = cmd.sni or (None if ip_literal(host) is not None else host)
    return Server(host, port, transport, tls_name=tls_name if transport != "udp" else None)


def _doh_server(url: str, sni: str | None) -> Server:
    get = url.endswith(GET_TEMPLATE)
    url = url.removesuffix(GET_TEMPLATE)
    parts = urlsplit(url)
    host = parts.hostname or ""
    tls_name = sni or (None if ip_literal(host) is not None else host)
    port = parts.port or DEFAULT_PORTS["doh"]
    return Server(host, port, "doh", url=url, get=get, tls_name=tls_name)


def system_nameserver(resolv_conf: str = RESOLV_CONF) -> str:
    """The first ``nameserver`` of ``resolv_conf``, as ``ADDR`` (dnspython reads the file).

    Raises:
        ProbeEnvironmentError: the file is missing or names no server.
    """
    try:
        resolver = dns.resolver.Resolver(filename=resolv_conf)
    except (OSError, dns.resolver.NoResolverConfiguration) as exc:
        raise ProbeEnvironmentError(
            f"no DNS server: {resolv_conf} names none (give --server ADDR)"
        ) from exc
    first = resolver.nameservers[0]
    address = first if isinstance(first, str) else first.answer_nameserver()
    return address


def with_transport(server: Server, transport: Transport) -> Server:
    """The same server asked over another transport on its default port (a TC retry: TCP)."""
    port = server.port if server.transport in ("udp", "tcp") else DEFAULT_PORTS[transport]
    return Server(server.host, port, transport)
