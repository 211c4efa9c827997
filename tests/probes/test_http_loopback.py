"""The HTTP probe's real transports against small servers on 127.0.0.1 (no root needed).

A minimal HTTP/1.1 server answers a few paths, in plain text or over TLS with a trustme
certificate and ALPN ``http/1.1`` only. Every address outside loopback that a test names is
refused by the target policy before anything is sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Callable

import pytest
import trustme
from cryptography import x509

from cloudping.commands import HttpCommand
from cloudping.events import ErrorEvent, Event, HttpEvent
from cloudping.probes.env import ProbeEnv
from cloudping.probes.http import probe as http
from cloudping.probes.targets import TargetPolicy

LOOPBACK = TargetPolicy(served=(ipaddress.ip_network("127.0.0.0/8"),))
BIG = b"x" * 100_000
ROUTES: dict[str, tuple[str, bytes, str]] = {
    "/": ("200 OK", b"hello", ""),
    "/big": ("200 OK", BIG, ""),
    "/503": ("503 Service Unavailable", b"busy", ""),
    "/out": ("302 Found", b"", "Location: http://10.1.2.3/admin\r\n"),
}


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        status, body, extra = ROUTES.get(path, ("404 Not Found", b"", ""))
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nContent-Type: text/plain\r\n"
            f"{extra}Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass  # a client that gave up (the TLS tests' untrusted handshakes)
    finally:
        writer.close()


def serve(
    cmd: Callable[[int], HttpCommand],
    *,
    tls: ssl.SSLContext | None = None,
    policy: TargetPolicy | None = LOOPBACK,
) -> list[Event]:
    """Run the probe on ``cmd(port)`` against the loopback server; its events."""
    events: list[Event] = []

    async def main() -> None:
        server = await asyncio.start_server(_answer, "127.0.0.1", 0, ssl=tls)
        async with server:
            port = server.sockets[0].getsockname()[1]
            await http.run(cmd(port), ProbeEnv(policy=policy), events.append)

    asyncio.run(asyncio.wait_for(main(), 30))
    return events


def one_http(events: list[Event]) -> HttpEvent:
    [event] = [e for e in events if isinstance(e, HttpEvent)]
    return event


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_server(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    context.set_alpn_protocols(["http/1.1"])
    return context


@pytest.fixture
def ca_pem(ca: trustme.CA) -> str:
    return ca.cert_pem.bytes().decode()


def url(port: int, path: str = "/", scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{port}{path}"


def test_a_body_over_the_cap_is_read_up_to_it_and_marked_truncated() -> None:
    capped = one_http(serve(lambda p: HttpCommand(urls=(url(p, "/big"),), max_body=1000)))
    whole = one_http(serve(lambda p: HttpCommand(urls=(url(p, "/big"),))))
    assert (capped.body_bytes, capped.truncated) == (1000, True)
    assert (whole.body_bytes, whole.truncated) == (len(BIG), False)
    assert capped.body_excerpt == "x" * 512


def test_a_503_is_a_result_with_status_headers_and_body() -> None:
    event = one_http(serve(lambda p: HttpCommand(urls=(url(p, "/503"),))))
    assert (event.status, event.http_version, event.body_excerpt) == (503, "HTTP/1.1", "busy")
    assert ("Content-Type", "text/plain") in event.headers
    assert event.error is None
    assert event.timings.connect_ms is not None
    assert event.timings.tls_ms is None


def test_a_redirect_to_a_refused_address_sends_nothing_there() -> None:
    events = serve(lambda p: HttpCommand(urls=(url(p, "/out"),), follow=True))
    chain, error = events
    assert isinstance(chain, HttpEvent)
    assert isinstance(error, ErrorEvent)
    assert [(hop.status, hop.location) for hop in chain.redirects] == [
        (302, "http://10.1.2.3/admin")
    ]
    assert error.code == "policy_denied"
    assert "HTTP target 10.1.2.3 is a private-use address" in error.message


def test_a_closed_loopback_port_is_a_refused_connection() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    events: list[Event] = []
    cmd = HttpCommand(urls=(url(port),), timeout=5)
    asyncio.run(http.run(cmd, ProbeEnv(policy=LOOPBACK), events.append))
    event = one_http(events)
    assert (event.status, event.error) == (None, "connection refused")


def test_http3_to_a_udp_port_nobody_listens_on_is_refused_at_once() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    events: list[Event] = []
    cmd = HttpCommand(urls=(url(port, scheme="https"),), http="3", insecure=True, timeout=5)
    asyncio.run(http.run(cmd, ProbeEnv(policy=LOOPBACK), events.append))
    event = one_http(events)
    assert event.error == f"connection refused: nothing answers QUIC on UDP port {port}"


def test_tls_details_match_the_servers_certificate(
    tls_server: ssl.SSLContext, ca: trustme.CA, ca_pem: str
) -> None:
    event = one_http(
        serve(
            lambda p: HttpCommand(urls=(url(p, scheme="https"),), ca_pem=ca_pem),
            tls=tls_server,
            policy=None,
        )
    )
    assert (event.status, event.body_excerpt) == (200, "hello")
    tls = event.tls
    assert tls is not None
    leaf = x509.load_pem_x509_certificate(ca.issue_cert("x").cert_chain_pems[0].bytes())
    assert (tls.alpn, tls.verified) == ("http/1.1", True)
    assert tls.version in ("TLSv1.2", "TLSv1.3")
    assert tls.sans == ("localhost", "127.0.0.1")
    assert tls.issuer == leaf.issuer.rfc4514_string()
    assert tls.cipher


def test_an_untrusted_certificate_is_a_result_that_says_so(tls_server: ssl.SSLContext) -> None:
    event = one_http(serve(lambda p: HttpCommand(urls=(url(p, scheme="https"),)), tls=tls_server))
    assert event.status is None
    assert event.error is not None
    assert event.error.startswith("TLS certificate not trusted:")


def test_k_reads_the_response_and_says_it_was_not_verified(tls_server: ssl.SSLContext) -> None:
    event = one_http(
        serve(lambda p: HttpCommand(urls=(url(p, scheme="https"),), insecure=True), tls=tls_server)
    )
    assert event.status == 200
    assert event.tls is not None
    assert event.tls.verified is False


def test_http2_only_against_a_server_without_it_is_a_clear_error(
    tls_server: ssl.SSLContext, ca_pem: str
) -> None:
    event = one_http(
        serve(
            lambda p: HttpCommand(urls=(url(p, scheme="https"),), http="2", ca_pem=ca_pem),
            tls=tls_server,
            policy=None,  # --ca is for the local CLI only
        )
    )
    assert event.error == "the server does not offer HTTP/2 (ALPN: http/1.1)"
    assert event.tls is not None
    assert event.tls.alpn == "http/1.1"
