"""``dns`` events as text read like dig."""

from __future__ import annotations

from cloudping.events import DnsEvent, DnsRecord
from cloudping.render import render

TXT = '"hello world with  spaces" "a \\"quoted\\" word"'


def event(**fields: object) -> DnsEvent:
    base: dict[str, object] = {
        "agent": "local",
        "target": "txt.lab",
        "server": "198.18.3.53:853",
        "address": "198.18.3.53",
        "transport": "dot",
        "qtype": "TXT",
        "qname": "txt.lab.",
    }
    return DnsEvent(**{**base, **fields})  # type: ignore[arg-type]


def test_an_answer_reads_like_dig_with_connect_and_query_times() -> None:
    answer = event(
        rcode="NOERROR",
        flags=("qr", "aa", "rd", "ra"),
        answers=(DnsRecord(name="txt.lab.", ttl=300, type="TXT", data=TXT),),
        connect_ms=40.12,
        query_ms=0.4,
        size=117,
        nsid="dns.lab",
    )
    assert render(answer) == "\n".join(
        [
            ";; ->>HEADER<<- opcode: QUERY, status: NOERROR",
            ";; flags: qr aa rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0",
            ";; NSID: dns.lab",
            "",
            ";; QUESTION SECTION:",
            ";txt.lab.\t\tIN\tTXT",
            "",
            ";; ANSWER SECTION:",
            f"txt.lab.\t300\tIN\tTXT\t{TXT}",
            "",
            ";; Query time: 0.400 msec (connect 40.1 msec)",
            ";; SERVER: 198.18.3.53#853 (dot)",
            ";; MSG SIZE  rcvd: 117",
            "",
        ]
    )


def test_a_truncated_answer_says_it_was_retried_over_tcp() -> None:
    text = render(event(rcode="NOERROR", transport="tcp", truncated=True, query_ms=1.0))
    assert text is not None
    assert ";; truncated: retried over TCP" in text.splitlines()


def test_no_answer_is_one_line_with_server_and_reason() -> None:
    failed = event(error="certificate verify failed: name mismatch (dns.lab expected, ...)")
    assert render(failed) == (
        ";; no answer from 198.18.3.53#853 (dot) for txt.lab. TXT: certificate verify failed: "
        "name mismatch (dns.lab expected, ...)"
    )


def test_a_server_asked_by_name_or_url_shows_the_address_too() -> None:
    by_name = event(server="dns.lab:853", error="x")
    by_url = event(server="https://dns.lab/dns-query", transport="doh", error="x")
    assert "from 198.18.3.53#853(dns.lab) (dot)" in (render(by_name) or "")
    assert "from https://dns.lab/dns-query (198.18.3.53) (doh)" in (render(by_url) or "")


def test_a_trace_step_shows_the_referral_and_who_sent_it() -> None:
    referral = event(
        step=2,
        server="root.lab:53",
        address="198.18.3.54",
        transport="udp",
        rcode="NOERROR",
        authority=(DnsRecord(name="lab.", ttl=172800, type="NS", data="ns1.lab."),),
        size=87,
        query_ms=0.2,
    )
    assert render(referral) == (
        "lab.\t172800\tIN\tNS\tns1.lab.\n"
        ";; Received 87 bytes from 198.18.3.54#53(root.lab) in 0.200 ms\n"
    )
