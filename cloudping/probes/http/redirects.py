"""Following a redirect: the next request, as RFC 9110 section 15.4 and curl -L make it.

Pure: a request and a response's status and ``Location`` in, the next request (or why there is
none) out. Where the next request may connect is not decided here: the probe resolves its host
and checks the address against the target policy like the first one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urljoin, urlsplit, urlunsplit

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10  # curl allows 50 and browsers about 20; a probe wants a short chain
# Credentials are for the origin they were given to (RFC 9110 section 15.4: a user agent should
# not leak them); curl drops these too when a redirect changes the host.
_ORIGIN_BOUND = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


@dataclass(frozen=True, slots=True)
class Request:
    """What to ask for, before it is bound to an address."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None


class RedirectRefused(ValueError):  # noqa: N818 (an outcome shown in the result)
    """A ``Location`` that cannot be followed (not http/https, unparseable)."""


def is_redirect(status: int, location: str | None) -> bool:
    """Whether a response is a redirect to follow: a 3xx of RFC 9110 15.4 with a Location."""
    return status in REDIRECT_STATUSES and bool(location)


def next_request(request: Request, status: int, location: str) -> Request:
    """The request a redirect asks for.

    303 turns any method but HEAD into GET; 301 and 302 turn POST into GET (RFC 9110 15.4.2
    and 15.4.3 allow it, and curl and browsers do it); 307 and 308 keep method and body.

    Raises:
        RedirectRefused: the Location is not an http(s) URL.
    """
    url = resolve_location(request.url, location)
    method, body = request.method, request.body
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None
    headers = request.headers
    if body is None:
        headers = tuple(pair for pair in headers if pair[0].lower() not in _BODY_HEADERS)
    if _origin(url) != _origin(request.url):
        headers = tuple(pair for pair in headers if pair[0].lower() not in _ORIGIN_BOUND)
    return replace(request, method=method, url=url, headers=headers, body=body)


def resolve_location(base: str, location: str) -> str:
    """``location`` made absolute against ``base`` (RFC 3986 section 5), without a fragment.

    Raises:
        RedirectRefused: not an http(s) URL with a host.
    """
    try:
        parts = urlsplit(urljoin(base, location.strip()))
        scheme, host = parts.scheme.lower(), parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as exc:
        raise RedirectRefused(f"redirect to a bad URL: {location!r}") from exc
    if scheme not in ("http", "https") or not host:
        raise RedirectRefused(f"redirect to a non-HTTP URL not followed: {location!r}")
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)
