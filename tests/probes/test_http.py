"""The HTTP probe without a network: redirect rules, request and response shaping, TLS facts,
trust settings, and the redirect loop driven through an in-memory transport."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from cryptography import x509

from cloudping.commands import HttpCommand, format_command, from_json, parse_args, to_json
from cloudping.errors import ProbeEnvironmentError, UsageError
from cloudping.events import ErrorEvent, Event, HttpEvent
from cloudping.probes.env import ProbeEnv
from cloudping.probes.http import probe as http
from cloudping.probes.http.exchange import (
    EXCERPT_BYTES,
    BodySink,
    Exchange,
    ExchangeFailed,
    HttpVersion,
    Marks,
    Response,
    request_headers,
)
from cloudping.probes.http.http3 import closed_words, h3_headers
from cloudping.probes.http.redirects import (
    MAX_REDIRECTS,
    RedirectRefused,
    Request,
    next_request,
    resolve_location,
)
from cloudping.probes.http.result import (
    HEADER_VALUE_MAX,
    HEADERS_MAX,
    bounded_headers,
    excerpt,
)
from cloudping.probes.http.tcp import describe
from cloudping.probes.targets import TargetPolicy
from cloudping.probes.tls.info import certificate_fields
from cloudping.probes.tls.quictrust import store_for, trust_store, untrusted_because
from cloudping.probes.tls.trust import Trust

ORIGIN = "https://198.51.100.7"  # TEST-NET-2: never contacted, the transport is in memory
SERVED = TargetPolicy(served=(ipaddress.ip_network("198.51.100.0/24"),))


def exchange(url: str = f"{ORIGIN}/", **fields: Any) -> Exchange:
    values: dict[str, Any] = {
        "method": "GET",
        "url": url,
        "address": "198.51.100.7",
        "headers": (),
        "body": None,
        "max_body": 1000,
    }
    return Exchange(**{**values, **fields})


def response(status: int = 200, body: bytes = b"ok", **fields: Any) -> Response:
    values: dict[str, Any] = {
        "status": status,
        "http_version": "HTTP/2",
        "headers": (("content-type", "text/plain"),),
        "head": body,
        "body_bytes": len(body),
        "truncated": False,
    }
    return Response(**{**values, **fields})


def redirect(status: int, location: str) -> Response:
    return response(status, b"", headers=(("location", location),))


# -- redirects (RFC 9110 section 15.4) ------------------------------------------------------------


def test_a_relative_location_resolves_against_the_request_url() -> None:
    assert resolve_location(f"{ORIGIN}/a/b?x=1", "c") == f"{ORIGIN}/a/c"
    assert resolve_location(f"{ORIGIN}/a/b", "/top") == f"{ORIGIN}/top"
    assert resolve_location(f"{ORIGIN}/a", "//other.example:8080/p") == (
        "https://other.example:8080/p"
    )


def test_a_fragment_is_not_part_of_the_next_request() -> None:
    assert resolve_location(f"{ORIGIN}/", "/next#part") == f"{ORIGIN}/next"


@pytest.mark.parametrize("location", ["ftp://198.51.100.7/f", "javascript:alert(1)", "mailto:a@b"])
def test_a_location_that_is_not_http_is_refused(location: str) -> None:
    with pytest.raises(RedirectRefused, match="non-HTTP"):
        next_request(Request("GET", f"{ORIGIN}/"), 302, location)


def test_a_location_with_a_bad_port_is_refused() -> None:
    with pytest.raises(RedirectRefused, match="bad URL"):
        resolve_location(f"{ORIGIN}/", "http://198.51.100.7:99999/")


@pytest.mark.parametrize(
    ("status", "method", "body"),
    [(301, "GET", None), (302, "GET", None), (303, "GET", None), (307, "POST", b"x=1"),
     (308, "POST", b"x=1")],
)  # fmt: skip
def test_post_becomes_get_except_after_307_and_308(
    status: int, method: str, body: bytes | None
) -> None:
    posted = Request("POST", f"{ORIGIN}/form", (("Content-Type", "text/plain"),), b"x=1")
    following = next_request(posted, status, "/done")
    assert (following.method, following.body) == (method, body)
    assert bool(following.headers) == (body is not None), "a dropped body takes its type along"


def test_303_keeps_head_as_head() -> None:
    assert next_request(Request("HEAD", f"{ORIGIN}/"), 303, "/x").method == "HEAD"


def test_credentials_are_not_sent_to_another_origin() -> None:
    headers = (("Authorization", "Bearer t"), ("Cookie", "a=1"), ("X-Trace", "7"))
    following = next_request(Request("GET", f"{ORIGIN}/", headers), 302, "https://other.example/")
    assert following.headers == (("X-Trace", "7"),)


def test_credentials_stay_on_the_same_origin_default_port_or_not() -> None:
    headers = (("Authorization", "Bearer t"),)
    following = next_request(Request("GET", f"{ORIGIN}/", headers), 302, f"{ORIGIN}:443/b")
    assert following.headers == headers


# -- requests -------------------------------------------------------------------------------------


def test_the_authority_leaves_out_the_default_port_and_brackets_ipv6() -> None:
    assert exchange("https://www.example:443/").authority == "www.example"
    assert exchange("https://www.example:4443/").authority == "www.example:4443"
    assert exchange("http://[2001:db8::1]:8080/x").authority == "[2001:db8::1]:8080"
    assert exchange("http://[2001:db8::1]/x?q=1").target == "/x?q=1"
    assert exchange("http://www.example").target == "/"


def test_host_user_agent_and_accept_come_first_and_given_headers_win() -> None:
    given = (("Accept", "text/html"), ("X-A", "1"))
    names = [
        name for name, _ in request_headers(exchange("https://w.example:4443/", headers=given))
    ]
    assert names == ["Host", "User-Agent", "Accept", "X-A"]
    assert ("Host", "w.example:4443") in request_headers(exchange("https://w.example:4443/"))


def test_http3_fields_start_with_pseudo_headers_and_drop_connection_specific_ones() -> None:
    given = (("Connection", "close"), ("X-A", "1"), ("Host", "alias.example"))
    fields = h3_headers(exchange("https://w.example/p?q", method="POST", headers=given, body=b"hi"))
    assert fields[:4] == [
        (b":method", b"POST"),
        (b":scheme", b"https"),
        (b":authority", b"alias.example"),  # a given Host is the authority (RFC 9114 4.3.1)
        (b":path", b"/p?q"),
    ]
    names = [name for name, _ in fields]
    assert b"connection" not in names
    assert b"host" not in names
    assert (b"x-a", b"1") in fields
    assert (b"content-length", b"2") in fields


def test_a_body_from_d_is_a_form_unless_a_type_is_given() -> None:
    plain = HttpCommand(urls=(ORIGIN,), method="POST", data="a=1")
    typed = HttpCommand(
        urls=(ORIGIN,), method="POST", data="{}", headers=(("content-type", "x/y"),)
    )
    assert http.first_request(plain, ORIGIN).headers == (("Content-Type", http.FORM),)
    assert http.first_request(typed, ORIGIN).headers == (("content-type", "x/y"),)
    assert http.first_request(plain, ORIGIN).body == b"a=1"


# -- phases, bodies, excerpts ---------------------------------------------------------------------


def test_marks_give_phase_durations_and_times_from_the_start() -> None:
    marks = Marks(start=10.0)
    for name, at in [("dns_start", 10.0), ("dns_end", 10.001), ("connect_start", 10.001),
                     ("connect_end", 10.003), ("first_byte", 10.010), ("end", 10.012)]:  # fmt: skip
        marks.mark(name, at=at)
    timings = marks.timings()
    assert (timings.dns_ms, timings.connect_ms, timings.tls_ms) == (1.0, 2.0, None)
    assert (timings.ttfb_ms, timings.total_ms) == (10.0, 12.0)


def test_the_body_sink_stops_at_the_cap_and_keeps_only_the_head() -> None:
    sink = BodySink(cap=1500)
    assert sink.feed(b"a" * 1000)
    assert not sink.feed(b"b" * 1000)
    assert (sink.count, sink.truncated) == (1500, True)
    assert sink.head == b"a" * (EXCERPT_BYTES + 3)


def test_a_body_that_fits_the_cap_exactly_is_not_truncated() -> None:
    sink = BodySink(cap=4)
    assert not sink.feed(b"abcd")
    assert (sink.count, sink.truncated) == (4, False)


def test_the_excerpt_decodes_the_declared_charset_leniently() -> None:
    assert excerpt("café".encode("latin-1"), "text/plain; charset=ISO-8859-1") == "café"
    assert excerpt(b"caf\xe9", "text/plain") == "caf\ufffd"
    assert excerpt(b"ok", "text/plain; charset=no-such-charset") == "ok"


def test_a_character_cut_by_the_excerpt_limit_is_left_out() -> None:
    head = b"a" * (EXCERPT_BYTES - 1) + "é".encode()
    assert excerpt(head, None) == "a" * (EXCERPT_BYTES - 1)


def test_control_characters_from_the_server_are_replaced() -> None:
    assert excerpt(b"line\r\n\x1b[2Jx\ttab", None) == "line\n\ufffd[2Jx\ttab"
    assert bounded_headers((("x-evil", "a\x1b]0;title\x07"),)) == (
        ("x-evil", "a\ufffd]0;title\ufffd"),
    )


def test_headers_are_bounded_in_number_and_length() -> None:
    many = tuple((f"x-{n}", "v" * 1000) for n in range(HEADERS_MAX + 20))
    bounded = bounded_headers(many)
    assert len(bounded) == HEADERS_MAX
    assert len(bounded[0][1]) == HEADER_VALUE_MAX
    assert bounded[0][1].endswith("…")


# -- TLS facts and trust --------------------------------------------------------------------------


def test_certificate_fields_name_subject_sans_issuer_and_days_left() -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("www.lab", "198.18.3.2", not_after=datetime(2030, 1, 11, tzinfo=UTC))
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    fields = certificate_fields(cert, now=datetime(2030, 1, 1, 12, tzinfo=UTC))
    assert fields["subject"] == cert.subject.rfc4514_string()
    assert fields["issuer"] == cert.issuer.rfc4514_string()
    assert fields["sans"] == ("www.lab", "198.18.3.2")
    assert fields["not_after"] == "2030-01-11T00:00:00Z"
    assert fields["days_left"] == 9.5


def test_certificates_openssl_cannot_load_are_bad_input() -> None:
    with pytest.raises(UsageError, match="ca_pem: cannot load the CA certificates"):
        Trust("not a certificate\n").check()


def test_k_turns_verification_off_and_ca_pem_replaces_the_system_store() -> None:
    ca = trustme.CA()
    assert Trust(insecure=True).ssl_context().verify_mode == ssl.CERT_NONE
    context = Trust(ca.cert_pem.bytes().decode()).ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 1


def test_ssl_cert_file_is_the_trust_quic_verifies_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    cert = x509.load_pem_x509_certificate(ca.issue_cert("www.lab").cert_chain_pems[0].bytes())
    assert untrusted_because(cert, [], "www.lab", store_for(Trust())) is None


def test_quic_trusts_exactly_the_certificates_of_ca_pem() -> None:
    ca, stranger = trustme.CA(), trustme.CA()
    store = store_for(Trust(ca.cert_pem.bytes().decode()))
    ours = ca.issue_cert("www.lab").cert_chain_pems[0].bytes()
    foreign = stranger.issue_cert("www.lab").cert_chain_pems[0].bytes()
    assert untrusted_because(x509.load_pem_x509_certificate(ours), [], "www.lab", store) is None
    assert (
        untrusted_because(x509.load_pem_x509_certificate(foreign), [], "www.lab", store)
        == "unable to get local issuer certificate"
    )


def test_quic_peers_are_checked_for_name_chain_and_issuer(tmp_path: Path) -> None:
    ca, stranger = trustme.CA(), trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    store = trust_store(str(tmp_path / "ca.pem"), None)
    leaf = ca.issue_cert("www.lab", "198.18.3.2")
    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    foreign = stranger.issue_cert("www.lab").cert_chain_pems[0].bytes()
    assert untrusted_because(cert, [], "www.lab", store) is None
    assert untrusted_because(cert, [], "198.18.3.2", store) is None
    assert (
        untrusted_because(cert, [], "other.lab", store) == "the certificate does not name other.lab"
    )
    assert (
        untrusted_because(x509.load_pem_x509_certificate(foreign), [], "www.lab", store)
        == "unable to get local issuer certificate"
    )


def test_a_trust_store_that_cannot_be_loaded_is_an_environment_error(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_text("junk\n")
    with pytest.raises(ProbeEnvironmentError, match="cannot load the trusted certificates"):
        trust_store(str(tmp_path / "junk.pem"), None)


def test_quic_close_codes_name_certificate_and_handshake_failures() -> None:
    assert closed_words(0x100 + 42, "unable to get local issuer certificate") == (
        "TLS certificate not trusted: unable to get local issuer certificate "
        "(--ca FILE trusts a CA)"
    )
    assert closed_words(0x100 + 120, "") == "TLS handshake failed: alert 120"
    assert closed_words(0x0A, "bye") == "QUIC connection closed: bye (error 0xa)"


def test_socket_errors_beneath_httpx_exceptions_are_named() -> None:
    refused = httpx.ConnectError("All connection attempts failed")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert describe(refused) == "connection refused"
    untrusted = httpx.ConnectError("handshake")
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "unable to get local issuer certificate"
    untrusted.__cause__ = cause
    assert describe(untrusted).startswith(
        "TLS certificate not trusted: unable to get local issuer certificate"
    )


# -- the grammar ----------------------------------------------------------------------------------


def test_ca_pem_travels_in_the_structured_form_and_the_text_shows_the_rest() -> None:
    pem = trustme.CA().cert_pem.bytes().decode()
    cmd = from_json({"command": "http", "urls": ["https://w.lab/"], "ca_pem": pem, "http": "3"})
    assert isinstance(cmd, HttpCommand)
    assert (cmd.ca_pem, cmd.http) == (pem, "3")
    assert from_json(to_json(cmd)) == cmd
    assert format_command(cmd) == "http --http 3 https://w.lab/"


@pytest.mark.parametrize(
    ("words", "said"),
    [
        (["--http", "3", "http://w.lab/"], "HTTP/3 runs over QUIC"),
        (["-H", "NoColon", "https://w.lab/"], "has no colon"),
        (["ftp://w.lab/f"], "is not an http or https URL"),
        (["--ca", "", "https://w.lab/"], "--ca"),
    ],
)
def test_bad_http_input_is_refused_by_the_grammar_naming_it(words: list[str], said: str) -> None:
    with pytest.raises(UsageError, match=said):
        parse_args(["http", *words])


# -- the probe's redirect loop, through an in-memory transport ------------------------------------


@dataclass
class ScriptedTransport:
    """The in-memory twin of a transport: answers URLs from a table, records every exchange."""

    answers: dict[str, Response | ExchangeFailed]
    asked: list[Exchange] = field(default_factory=list)
    hang: bool = False

    async def exchange(self, request: Exchange, marks: Marks) -> Response:
        self.asked.append(request)
        marks.mark("connect_start", "connect")
        if self.hang:
            await asyncio.Event().wait()  # ended by the probe's timeout
        marks.mark("connect_end")
        marks.mark("first_byte", "body")
        marks.mark("end", "done")
        answer = self.answers[request.url]
        if isinstance(answer, ExchangeFailed):
            raise answer
        return answer

    def factory(
        self,
    ) -> Callable[[Trust, HttpVersion | None], AbstractAsyncContextManager[ScriptedTransport]]:
        @asynccontextmanager
        async def open_transport(
            trust: Trust, version: HttpVersion | None
        ) -> AsyncIterator[ScriptedTransport]:
            yield self

        return open_transport


def probe(
    cmd: HttpCommand, transport: ScriptedTransport, policy: TargetPolicy | None = None
) -> list[Event]:
    events: list[Event] = []
    env = ProbeEnv(policy=policy)
    asyncio.run(http.run(cmd, env, events.append, transports=transport.factory()))
    return events


def test_without_follow_a_redirect_is_the_result() -> None:
    transport = ScriptedTransport({f"{ORIGIN}/a": redirect(302, "/b")})
    [event] = probe(HttpCommand(urls=(f"{ORIGIN}/a",)), transport)
    assert isinstance(event, HttpEvent)
    assert (event.status, event.redirects, event.error) == (302, (), None)
    assert ("location", "/b") in event.headers


def test_follow_takes_the_chain_and_reports_every_hop() -> None:
    transport = ScriptedTransport({
        f"{ORIGIN}/a": redirect(302, "/b"),
        f"{ORIGIN}/b": redirect(301, "https://198.51.100.8/c"),
        "https://198.51.100.8/c": response(200, b"done"),
    })  # fmt: skip
    [event] = probe(HttpCommand(urls=(f"{ORIGIN}/a",), follow=True), transport, SERVED)
    assert isinstance(event, HttpEvent)
    assert (event.status, event.url, event.body_excerpt) == (200, "https://198.51.100.8/c", "done")
    assert [(h.status, h.url, h.location, h.address) for h in event.redirects] == [
        (302, f"{ORIGIN}/a", "/b", "198.51.100.7"),
        (301, f"{ORIGIN}/b", "https://198.51.100.8/c", "198.51.100.7"),
    ]
    assert all(hop.timings is not None and hop.total_ms is not None for hop in event.redirects)
    assert event.address == "198.51.100.8"
    assert [asked.address for asked in transport.asked] == ["198.51.100.7"] * 2 + ["198.51.100.8"]


def test_a_redirect_loop_stops_after_the_last_allowed_redirect() -> None:
    transport = ScriptedTransport({f"{ORIGIN}/loop": redirect(302, "/loop")})
    [event] = probe(HttpCommand(urls=(f"{ORIGIN}/loop",), follow=True), transport)
    assert isinstance(event, HttpEvent)
    assert len(event.redirects) == MAX_REDIRECTS
    assert len(transport.asked) == MAX_REDIRECTS + 1
    assert event.status == 302
    assert event.error == f"stopped after {MAX_REDIRECTS} redirects"


def test_a_5xx_is_a_result_and_not_an_error() -> None:
    transport = ScriptedTransport({f"{ORIGIN}/": response(503, b"busy")})
    events = probe(HttpCommand(urls=(f"{ORIGIN}/",)), transport)
    assert [(type(e).__name__, getattr(e, "status", None)) for e in events] == [("HttpEvent", 503)]


def test_a_failed_exchange_is_a_result_with_its_error_and_the_phases_that_ran() -> None:
    failure = ExchangeFailed("TLS certificate not trusted: self-signed certificate")
    [event] = probe(HttpCommand(urls=(f"{ORIGIN}/",)), ScriptedTransport({f"{ORIGIN}/": failure}))
    assert isinstance(event, HttpEvent)
    assert (event.status, event.error) == (None, failure.message)
    assert event.timings.connect_ms is not None
    assert event.address == "198.51.100.7"


def test_a_request_that_does_not_finish_in_time_says_which_phase_hung() -> None:
    transport = ScriptedTransport({}, hang=True)
    [event] = probe(HttpCommand(urls=(f"{ORIGIN}/",), timeout=0.2), transport)
    assert isinstance(event, HttpEvent)
    assert event.error == "timed out after 0.2 s connecting"


def test_a_private_target_is_refused_by_the_policy_before_any_request() -> None:
    transport = ScriptedTransport({})
    events = probe(HttpCommand(urls=("http://127.0.0.1:8080/",)), transport, TargetPolicy())
    assert transport.asked == []
    [error] = events
    assert isinstance(error, ErrorEvent)
    assert (error.code, error.target) == ("policy_denied", "http://127.0.0.1:8080/")
    assert "HTTP target 127.0.0.1 is a loopback address" in error.message


def test_a_redirect_to_a_refused_target_is_not_followed() -> None:
    transport = ScriptedTransport({f"{ORIGIN}/out": redirect(302, "http://10.1.2.3/admin")})
    events = probe(HttpCommand(urls=(f"{ORIGIN}/out",), follow=True), transport, SERVED)
    assert [asked.url for asked in transport.asked] == [f"{ORIGIN}/out"], "nothing sent to 10/8"
    chain, error = events
    assert isinstance(chain, HttpEvent)
    assert isinstance(error, ErrorEvent)
    assert [hop.location for hop in chain.redirects] == ["http://10.1.2.3/admin"]
    assert chain.error is not None
    assert chain.error.startswith("redirect not followed: HTTP target")
    assert error.code == "policy_denied"


def test_ca_pem_on_an_agent_run_for_others_is_used_as_given() -> None:
    # Certificates travel as text: trusting them names no file on the agent.
    pem = trustme.CA().cert_pem.bytes().decode()
    transport = ScriptedTransport({f"{ORIGIN}/": response(200, b"ok")})
    [event] = probe(HttpCommand(urls=(f"{ORIGIN}/",), ca_pem=pem), transport, SERVED)
    assert isinstance(event, HttpEvent)
    assert event.status == 200


def test_every_url_gets_its_own_event() -> None:
    urls = (f"{ORIGIN}/1", f"{ORIGIN}/2", f"{ORIGIN}/3")
    transport = ScriptedTransport({url: response(200, url[-1].encode()) for url in urls})
    events = probe(HttpCommand(urls=urls), transport)
    assert sorted((e.target, getattr(e, "body_excerpt", "")) for e in events) == [
        (url, url[-1]) for url in urls
    ]
