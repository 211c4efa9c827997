"""What each route of the HTTP surface takes: how large a body, of which media types, and
whether it carries its own secret (a webhook, the mail endpoint) instead of trusting ``Host``.

Routes declare it by path template (``/api/v1/mail``, ``/hooks/{name}``); every other route
gets the default: JSON bodies of at most 80 KiB, the ``Host`` rule applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from starlette.routing import compile_path

JSON = "application/json"
# bytes: a command's words are far fewer; its structured form may carry up to 64 KiB of
# certificates (ca_pem), a little longer once JSON-escaped (a newline becomes two bytes).
COMMAND_BODY_LIMIT = 80 * 1024
# A forwarded mail (POST /api/v1/mail): the route holds it to --mail-max-size, at most this
# (25 MiB: the size most mail providers take).
MAIL_PATH = "/api/v1/mail"
MESSAGE_RFC822 = "message/rfc822"
MAIL_BODY_LIMIT = 25 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RoutePolicy:
    """How one route is guarded.

    Attributes:
        body_limit: the largest request body in bytes; one byte more is a 413, answered
            before the rest is read.
        media_types: the ``Content-Type`` a body must have (415 otherwise).
        own_secret: the route authenticates its caller with a secret of its own (a webhook's
            signature), so it is reached by whatever name a sender uses: no ``Host`` rule.
    """

    body_limit: int = COMMAND_BODY_LIMIT
    media_types: tuple[str, ...] = (JSON,)
    own_secret: bool = False

    def __post_init__(self) -> None:
        if self.body_limit < 0:
            raise ValueError("body_limit must be at least 0 bytes")
        if not self.media_types:
            raise ValueError("media_types must name at least one type")


@dataclass(frozen=True, slots=True)
class RoutePolicies:
    """The default policy, and the routes that declare their own (by Starlette path template)."""

    default: RoutePolicy = RoutePolicy()
    routes: tuple[tuple[str, RoutePolicy], ...] = (
        (MAIL_PATH, RoutePolicy(MAIL_BODY_LIMIT, (MESSAGE_RFC822,), own_secret=True)),
    )

    def for_path(self, path: str) -> RoutePolicy:
        """The policy of the route serving ``path`` (the first declared template that matches)."""
        for template, policy in self.routes:
            if _compiled(template).fullmatch(path):
                return policy
        return self.default


@cache
def _compiled(template: str) -> re.Pattern[str]:
    pattern, _, _ = compile_path(template)
    return pattern
