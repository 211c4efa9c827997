"""How the hub's HTTP server faces the network: the names it answers for, and its limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """The HTTP server's settings (every route: the API, ``/ping``, ``/mcp``, the page).

    Attributes:
        allowed_hosts: ``Host`` headers accepted (``hub.example.org:443``, ``name:*`` for any
            port); set them when the hub is reached by a real name (DNS rebinding protection).
        allowed_origins: ``Origin`` headers accepted from browsers (``https://app.example``).
        max_connections: open connections served at once; past it, requests get 503.
        header_timeout_s: how long a connection may take to send a request's headers (the
            first, or the next on a kept-alive connection) before it is closed.
    """

    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_connections: int = 1_000
    header_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if not 0 < self.header_timeout_s <= 300:
            raise ValueError("header_timeout_s must be in (0, 300] seconds")
