"""How the hub serves MCP: transport mode, which Host/Origin headers it accepts, result size."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mcp.server.transport_security import TransportSecuritySettings

from cloudping.channels.mcp.budget import DEFAULT_BUDGET
from cloudping.service import ApiSettings

MCP_PATH = "/mcp"
_LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
_LOOPBACK_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


@dataclass(frozen=True, slots=True)
class McpSettings:
    """The MCP endpoint's settings.

    Attributes:
        enabled: serve ``/mcp`` next to the HTTP API.
        stateless: StreamableHTTP without sessions (each request stands alone; no server
            to client requests). Stateful (sessions) by default.
        allowed_hosts: ``Host`` headers accepted (``hub.example.org:443``, ``name:*`` for any
            port); set it when the hub is reached by a real name (DNS rebinding protection).
        allowed_origins: ``Origin`` headers accepted from browsers (``https://app.example``).
        result_bytes: the size budget of one tool result's JSON text.
        max_sessions: open MCP sessions at most (stateful mode).
    """

    enabled: bool = True
    stateless: bool = False
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    result_bytes: int = DEFAULT_BUDGET
    max_sessions: int = 1_000

    def __post_init__(self) -> None:
        if not 1024 <= self.result_bytes <= 1_048_576:
            raise ValueError("result_bytes must be 1 KiB to 1 MiB")
        if self.max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")

    def transport_security(
        self, listen_host: str, access: ApiSettings
    ) -> TransportSecuritySettings:
        """What the SDK checks of ``Host`` and ``Origin`` (DNS rebinding protection).

        On a loopback listener, wherever guests need no token (a rebound name could reach
        them), or once hosts or origins are configured, both headers are checked: each list
        is the configured one, or else the loopback names and the listen address. A hub that
        requires tokens everywhere and configures nothing accepts any ``Host`` (a browser on
        a rebound name cannot send the token).
        """
        configured = bool(self.allowed_hosts or self.allowed_origins)
        if not (configured or _is_loopback(listen_host) or access.anonymous == "guest"):
            return TransportSecuritySettings(enable_dns_rebinding_protection=False)
        hosts, origins = list(_LOOPBACK_HOSTS), list(_LOOPBACK_ORIGINS)
        if not _is_unspecified(listen_host):
            shown = f"[{listen_host}]" if ":" in listen_host else listen_host
            hosts.append(f"{shown}:*")
            origins.append(f"http://{shown}:*")
        return _protecting(
            self.allowed_hosts or tuple(hosts), self.allowed_origins or tuple(origins)
        )


def _protecting(hosts: tuple[str, ...], origins: tuple[str, ...]) -> TransportSecuritySettings:
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )


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
