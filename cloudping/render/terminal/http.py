"""The HTTP probe as text: a curl -v-like summary of one request, a pure function of its event.

::

    HTTP/2 200 https://www.lab:4443/ (198.18.3.2)
    redirect 1: 302 https://www.lab:4443/redirect -> /hop2 (198.18.3.2, 3.10 ms)
    dns 0.412 ms  connect 0.301 ms  tls 4.21 ms  ttfb 5.02 ms  total 5.33 ms
    TLS TLSv1.3, ALPN h2, TLS_AES_128_GCM_SHA256
    cert subject CN=www.lab
         SANs www.lab, 198.18.3.2
         issuer CN=Lab CA
         expires 2027-11-25T00:00:00Z (in 365 days)
    < content-type: text/plain; charset=utf-8
    < x-proto: HTTP/2.0
    8 bytes of body:
    HTTP/2.0

A failure reads ``URL (address): error`` followed by the phases that ran. The server's text
(headers, body) has its control characters replaced, so it cannot rewrite the terminal.
"""

from __future__ import annotations

import re

from cloudping.events import HttpEvent, HttpHop, HttpTimings, TlsInfo
from cloudping.render.numbers import format_rtt

HEADERS_SHOWN = 8
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PHASES = (("dns", "dns_ms"), ("connect", "connect_ms"), ("tls", "tls_ms"), ("ttfb", "ttfb_ms"),
           ("total", "total_ms"))  # fmt: skip


def http(event: HttpEvent) -> str:
    """The whole summary of one ``http`` event."""
    lines = [_status_line(event)]
    lines += [_hop_line(n, hop) for n, hop in enumerate(event.redirects, 1)]
    if timing := timing_line(event.timings):
        lines.append(timing)
    if event.tls is not None:
        lines += tls_lines(event.tls, failed=event.error is not None)
    if event.status is not None:
        lines += _header_lines(event.headers) + _body_lines(event)
    return "\n".join(lines)


def _status_line(event: HttpEvent) -> str:
    where = f"{_clean(event.url)}{f' ({event.address})' if event.address else ''}"
    method = f" [{event.method}]" if event.method != "GET" else ""
    if event.error is not None and event.status is None:
        return f"{where}{method}: {event.error}"
    line = f"{event.http_version or 'HTTP'} {event.status} {where}{method}"
    return f"{line}: {event.error}" if event.error else line


def _hop_line(number: int, hop: HttpHop) -> str:
    details = ", ".join(
        part
        for part in (hop.address, f"{format_rtt(hop.total_ms)} ms" if hop.total_ms else None)
        if part
    )
    target = f" -> {_clean(hop.location)}" if hop.location else ""
    return f"redirect {number}: {hop.status} {_clean(hop.url)}{target} ({details})"


def timing_line(timings: HttpTimings) -> str:
    """``dns 0.1 ms  connect 0.3 ms ...``: the phases that ran, two spaces apart."""
    shown = [
        f"{name} {format_rtt(value)} ms"
        for name, key in _PHASES
        if (value := getattr(timings, key)) is not None
    ]
    return "  ".join(shown)


def tls_lines(tls: TlsInfo, *, failed: bool = False) -> list[str]:
    """The session, the certificate, and whether it was verified (``failed``: the error line
    already says why not)."""
    session = ", ".join(part for part in (tls.version, _alpn(tls.alpn), tls.cipher) if part)
    lines = [f"TLS {session}"] if session else []
    if tls.subject is not None:
        lines.append(f"cert subject {_clean(tls.subject)}")
        if tls.sans:
            lines.append(f"     SANs {_clean(', '.join(tls.sans))}")
        lines.append(f"     issuer {_clean(tls.issuer or '?')}")
        lines.append(f"     expires {tls.not_after} ({_days(tls.days_left)})")
    if not tls.verified and not failed:
        lines.append("NOT VERIFIED (-k): the certificate and its name were not checked")
    return lines


def _alpn(alpn: str | None) -> str | None:
    return f"ALPN {alpn}" if alpn else None


def _days(days: float | None) -> str:
    if days is None:
        return "?"
    if days < 0:
        return f"EXPIRED {-days:.0f} days ago"
    return f"in {days:.0f} days"


def _header_lines(headers: tuple[tuple[str, str], ...]) -> list[str]:
    lines = [f"< {_clean(name)}: {_clean(value)}" for name, value in headers[:HEADERS_SHOWN]]
    if len(headers) > HEADERS_SHOWN:
        lines.append(f"< ... {len(headers) - HEADERS_SHOWN} more headers (--json shows them)")
    return lines


def _body_lines(event: HttpEvent) -> list[str]:
    if not event.body_bytes:
        return ["no body"]
    size = f"{event.body_bytes} bytes of body"
    if event.truncated:
        size += " read, truncated at --max-body"
    return [f"{size}:", _clean(event.body_excerpt, keep_newlines=True)]


def _clean(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` safe to print: control characters (ESC, CR, ...) become U+FFFD."""
    if keep_newlines:
        return "\n".join(_CONTROL.sub("\ufffd", line) for line in text.split("\n"))
    return _CONTROL.sub("\ufffd", text.replace("\n", " "))
