"""The HTTP probe as text: a curl -v-like summary per request."""

from __future__ import annotations

from cloudping.events import HttpEvent, HttpHop, HttpTimings, TlsInfo
from cloudping.render import render

URL = "https://www.lab:4443/"
TLS = TlsInfo(
    version="TLSv1.3",
    alpn="h2",
    cipher="TLS_AES_128_GCM_SHA256",
    subject="CN=www.lab",
    sans=("www.lab", "198.18.3.2"),
    issuer="CN=Lab CA",
    not_after="2027-11-25T00:00:00Z",
    days_left=364.6,
)
TIMINGS = HttpTimings(dns_ms=0.104, connect_ms=0.301, tls_ms=4.2, ttfb_ms=5.02, total_ms=5.33)


def event(**fields: object) -> HttpEvent:
    values: dict[str, object] = {
        "agent": "local",
        "target": URL,
        "url": URL,
        "method": "GET",
        "status": 200,
        "http_version": "HTTP/2",
        "address": "198.18.3.2",
        "timings": TIMINGS,
        "tls": TLS,
        "headers": (("content-type", "text/plain"), ("x-proto", "HTTP/2.0")),
        "body_excerpt": "HTTP/2.0",
        "body_bytes": 8,
    }
    return HttpEvent(**{**values, **fields})  # type: ignore[arg-type]


def test_a_response_reads_status_timings_tls_headers_and_body() -> None:
    assert render(event()) == "\n".join(
        [
            "HTTP/2 200 https://www.lab:4443/ (198.18.3.2)",
            "dns 0.104 ms  connect 0.301 ms  tls 4.20 ms  ttfb 5.02 ms  total 5.33 ms",
            "TLS TLSv1.3, ALPN h2, TLS_AES_128_GCM_SHA256",
            "cert subject CN=www.lab",
            "     SANs www.lab, 198.18.3.2",
            "     issuer CN=Lab CA",
            "     expires 2027-11-25T00:00:00Z (in 365 days)",
            "< content-type: text/plain",
            "< x-proto: HTTP/2.0",
            "8 bytes of body:",
            "HTTP/2.0",
        ]
    )


def test_the_redirect_chain_follows_the_status_line() -> None:
    hops = (
        HttpHop(
            url=f"{URL}redirect", status=302, location="/hop2", total_ms=3.1, address="198.18.3.2"
        ),
        HttpHop(url=f"{URL}hop2", status=301, location="/", total_ms=0.812, address="198.18.3.2"),
    )
    lines = render(event(redirects=hops, method="POST", tls=None)).split("\n")  # type: ignore[union-attr]
    assert lines[:3] == [
        "HTTP/2 200 https://www.lab:4443/ (198.18.3.2) [POST]",
        "redirect 1: 302 https://www.lab:4443/redirect -> /hop2 (198.18.3.2, 3.10 ms)",
        "redirect 2: 301 https://www.lab:4443/hop2 -> / (198.18.3.2, 0.812 ms)",
    ]


def test_a_failure_reads_url_address_and_error_then_the_phases_that_ran() -> None:
    failed = event(
        status=None,
        http_version=None,
        tls=None,
        headers=(),
        body_excerpt="",
        body_bytes=0,
        timings=HttpTimings(dns_ms=0.2, connect_ms=0.3),
        error="TLS certificate not trusted: unable to get local issuer certificate",
    )
    assert render(failed) == (
        "https://www.lab:4443/ (198.18.3.2): TLS certificate not trusted: unable to get local "
        "issuer certificate\ndns 0.200 ms  connect 0.300 ms"
    )


def test_an_unverified_session_says_so() -> None:
    text = render(event(tls=TlsInfo(version="TLSv1.3", verified=False)))
    assert text is not None
    assert "NOT VERIFIED (-k)" in text


def test_an_expired_certificate_says_how_long_ago() -> None:
    text = render(
        event(tls=TlsInfo(subject="CN=old", not_after="2020-01-01T00:00:00Z", days_left=-3.2))
    )
    assert text is not None
    assert "expires 2020-01-01T00:00:00Z (EXPIRED 3 days ago)" in text


def test_a_truncated_body_and_many_headers_are_announced() -> None:
    headers = tuple((f"x-{n}", "v") for n in range(12))
    text = render(event(headers=headers, body_bytes=1000, truncated=True))
    assert text is not None
    assert "< ... 4 more headers (--json shows them)" in text
    assert "1000 bytes of body read, truncated at --max-body:" in text


def test_the_servers_control_characters_never_reach_the_terminal() -> None:
    hostile = event(headers=(("x-a", "\x1b[2J"),), body_excerpt="ok\x1b]0;pwned\x07\nline 2")
    text = render(hostile)
    assert text is not None
    assert "\x1b" not in text
    assert "\x07" not in text
    assert text.endswith("ok\ufffd]0;pwned\ufffd\nline 2")


def test_a_refused_certificate_is_shown_without_blaming_k() -> None:
    refused = event(
        status=None,
        tls=TlsInfo(version="TLSv1.3", subject="CN=www.lab", verified=False),
        error="TLS certificate not trusted: unable to get local issuer certificate",
    )
    text = render(refused)
    assert text is not None
    assert "cert subject CN=www.lab" in text
    assert "-k" not in text
