"""Where forwarded mail comes in over HTTP and how the edge guards it: ``POST /api/v1/mail``
takes a raw message (``message/rfc822``, what Cloudflare Email Workers, Mailgun routes and
SES forward) up to ``--mail-max-size``; its token is its secret, so no ``Host`` rule."""

from __future__ import annotations

from cloudping.edge import RoutePolicy

MAIL_PATH = "/api/v1/mail"
MESSAGE_RFC822 = "message/rfc822"
MAIL_BODY_LIMIT = 25 * 1024 * 1024  # the largest --mail-max-size: what most providers take


def mail_policy(max_size: int) -> tuple[str, RoutePolicy]:
    """The edge's policy for the mail route."""
    return MAIL_PATH, RoutePolicy(max_size, (MESSAGE_RFC822,), own_secret=True)
