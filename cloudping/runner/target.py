"""Which hub a client runs through: its base URL and bearer token."""

from __future__ import annotations

from dataclasses import dataclass, field

HUB_ENV, TOKEN_ENV = "CLOUDPING_HUB", "CLOUDPING_TOKEN"


@dataclass(frozen=True, slots=True)
class HubTarget:
    """The hub's base URL (``http://127.0.0.1:8080``) and the bearer token, if any."""

    url: str
    token: str | None = field(default=None, repr=False)
