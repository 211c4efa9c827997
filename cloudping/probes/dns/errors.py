"""Why a DNS query got no answer, in one clear sentence: foreign exceptions end here.

A timeout, a refused connection, a TLS failure or a garbled answer is a result (the ``error``
of a ``dns`` event), never an exception that leaves the probe. httpx wraps socket and TLS
errors; the chain (``__cause__``/``__context__``) is followed to the one that says most.
"""

from __future__ import annotations

import errno
import re
import ssl
from collections.abc import Iterator

import dns.exception
import dns.message
import dns.query
import httpx

# What a query may raise that means "no answer" (a result), not a bug: sockets and TLS
# (OSError, with TimeoutError and ssl.SSLError), dnspython, httpx, and the ValueError of a
# DoH status that is not 2xx.
QUERY_FAILURES: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    ValueError,
    dns.exception.DNSException,
    httpx.HTTPError,
)
_STATUS = re.compile(r"status code (\d+)")
_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused (nothing listens on that port)",
    errno.ECONNRESET: "connection reset by the server",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EACCES: "permission denied (a firewall or an ICMP administratively prohibited)",
}


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first (cycles cut)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind ``exc``, if that is what it is."""
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause
    return None


def describe(exc: BaseException, timeout: float) -> str:
    """One sentence for a failed query (certificate failures: see :mod:`dns_tls`)."""
    for cause in causes(exc):
        text = _describe_one(cause, timeout)
        if text is not None:
            return text
    return f"{type(exc).__name__}: {exc}"


def _describe_one(exc: BaseException, timeout: float) -> str | None:
    if isinstance(exc, TimeoutError | dns.exception.Timeout | httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.errno is not None:
        return _ERRNO_WORDS.get(exc.errno, (exc.strerror or str(exc)).lower())
    if isinstance(exc, EOFError | dns.exception.UnexpectedEnd | httpx.RemoteProtocolError):
        return "the server closed the connection without an answer"
    return _describe_answer(exc)


def _describe_answer(exc: BaseException) -> str | None:
    if isinstance(exc, dns.query.BadResponse):
        return "the answer does not match the question (another ID or question)"
    if isinstance(exc, dns.exception.FormError | dns.message.ShortHeader):
        return f"malformed answer: {exc}"
    if isinstance(exc, ValueError) and (status := _STATUS.search(str(exc))):
        return f"HTTP status {status[1]} from the DoH server (RFC 8484 wants 2xx)"
    return None
