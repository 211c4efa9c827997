"""Which ``Host`` and ``Origin`` headers the hub's HTTP server accepts (DNS rebinding and
cross-site protection), decided without any I/O.

A pattern is an exact header value (``hub.example.org:443``, ``https://app.example``) or a
name with any port (``hub.example.org:*``), as the MCP SDK's own check spells them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
_LOOPBACK_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


@dataclass(frozen=True, slots=True)
class HostRules:
    """The ``Host`` and ``Origin`` values a server accepts; ``enforced=False`` accepts any.

    A missing ``Origin`` is accepted (browsers send none on same-origin navigations, and
    non-browser clients none at all); a missing ``Host`` is not, once enforced.
    """

    hosts: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()
    enforced: bool = False

    def host_allowed(self, host: str | None) -> bool:
        """Whether a request with this ``Host`` header may go on."""
        return not self.enforced or (host is not None and _matches(host, self.hosts))

    def origin_allowed(self, origin: str | None, host: str | None = None) -> bool:
        """Whether a request with this ``Origin`` header (and this ``Host``) may go on.

        A page of this server itself (the web page) sends its own origin: one whose host is
        the request's allowed ``Host`` is same-origin (RFC 6454), whatever name the server
        is reached by. A rebound name fails the ``Host`` rule, so it gains nothing here.
        """
        if not self.enforced or origin is None or _matches(origin, self.origins):
            return True
        return host is not None and self.host_allowed(host) and _same_origin(origin, host)


def host_rules(
    listen_host: str,
    allowed_hosts: tuple[str, ...],
    allowed_origins: tuple[str, ...],
    *,
    guests: bool,
) -> HostRules:
    """The rules of a server listening on ``listen_host``.

    On a loopback listener, wherever guests need no token (a rebound name could reach them),
    or once hosts or origins are configured, both headers are checked: each list is the
    configured one, or else the loopback names and the listen address. A server that requires
    tokens everywhere and configures nothing accepts any ``Host`` (a browser on a rebound name
    cannot send the token).
    """
    configured = bool(allowed_hosts or allowed_origins)
    if not (configured or _is_loopback(listen_host) or guests):
        return HostRules()
    hosts, origins = list(_LOOPBACK_HOSTS), list(_LOOPBACK_ORIGINS)
    if not _is_unspecified(listen_host):
        shown = f"[{listen_host}]" if ":" in listen_host else listen_host
        hosts.append(f"{shown}:*")
        origins.append(f"http://{shown}:*")
    return HostRules(
        hosts=tuple(dict.fromkeys(allowed_hosts or hosts)),
        origins=tuple(dict.fromkeys(allowed_origins or origins)),
        enforced=True,
    )


def _matches(value: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if value == pattern:
            return True
        if pattern.endswith(":*") and value.startswith(pattern[:-1]):
            # "name:*" wants a port after the colon: "name:" alone, or "name:8080/x", is no port.
            port = value[len(pattern) - 1 :]
            if port.isdigit():
                return True
    return False


def _same_origin(origin: str, host: str) -> bool:
    # An Origin is "scheme://host[:port]" with the default port left out, as in Host.
    scheme, separator, authority = origin.partition("://")
    return bool(separator) and scheme in ("http", "https") and authority.lower() == host.lower()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False
