"""The dns probe without the lab: questions and answers, servers, errors, trace logic, the
asker over an in-memory connection, and the target policy seam."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import httpx
import pytest

from cloudping.commands import DnsCommand, parse_args
from cloudping.errors import ProbeEnvironmentError, UsageError
from cloudping.events import DnsEvent, DnsRecord, ErrorEvent, Event
from cloudping.probes.dns import probe as dns_probe
from cloudping.probes.dns.ask import Asker
from cloudping.probes.dns.errors import describe
from cloudping.probes.dns.query import (
    EDNS_PAYLOAD,
    answer_fields,
    make_query,
    nsid,
    question,
    records,
)
from cloudping.probes.dns.server import Server, server_for, system_nameserver, with_transport
from cloudping.probes.dns.tls import certificate_error
from cloudping.probes.dns.trace import is_final, referral, roots
from cloudping.probes.dns.transport import Exchange
from cloudping.probes.env import ProbeEnv
from cloudping.probes.targets import TargetPolicy

SPACED = ("hello world with  spaces", 'a "quoted" word; and a semicolon')


def dns_cmd(*words: str) -> DnsCommand:
    cmd = parse_args(["dns", *words])
    assert isinstance(cmd, DnsCommand)
    return cmd


def reply_to(query: dns.message.Message, *rrs: str, rcode: int = 0) -> dns.message.Message:
    """A server's answer to ``query`` with ``rrs`` (presentation lines), through the wire."""
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    response.set_rcode(dns.rcode.Rcode(rcode))
    for rr in rrs:
        name, ttl, _, rtype, data = rr.split(None, 4)
        rrset = response.find_rrset(
            response.answer,
            dns.name.from_text(name),
            dns.rdataclass.IN,
            dns.rdatatype.from_text(rtype),
            create=True,
        )
        rrset.add(dns.rdata.from_text("IN", rtype, data), int(ttl))
    return dns.message.from_wire(response.to_wire())


# -- questions (pure) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "qname"),
    [
        ("198.18.3.2", "2.3.18.198.in-addr.arpa."),
        ("2001:db8:3::53", "3.5.0.0." + "0.0.0.0." * 4 + "3.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."),
    ],
)
def test_an_address_asks_for_the_ptr_of_its_reverse_name(name: str, qname: str) -> None:
    q = question(name, "A")
    assert (q.qname, q.qtype) == (qname, "PTR")


def test_an_address_with_another_type_asks_that_type_of_the_reverse_name() -> None:
    assert question("198.18.3.2", "TXT").qtype == "TXT"


def test_a_name_is_made_absolute_and_any_type_number_is_kept() -> None:
    q = question("www.lab", "TYPE999")
    assert (q.qname, q.qtype) == ("www.lab.", "TYPE999")


def test_a_name_over_255_octets_is_bad_input_not_a_query() -> None:
    with pytest.raises(UsageError, match="at most 255 octets"):
        question(".".join(["a" * 60] * 5), "A")


def test_the_query_asks_recursion_edns_1232_and_the_nsid() -> None:
    query = make_query(question("www.lab", "A"))
    assert query.flags & dns.flags.RD
    assert query.edns == 0
    assert query.payload == EDNS_PAYLOAD
    assert [o.otype for o in query.options] == [dns.edns.OptionType.NSID]
    assert not query.ednsflags & dns.flags.DO


def test_dnssec_sets_do_and_ad_in_the_query() -> None:
    query = make_query(question("www.lab", "A", dnssec=True))
    assert query.ednsflags & dns.flags.DO
    assert query.flags & dns.flags.AD


def test_encrypted_queries_are_padded_to_128_octets_and_doh_uses_id_0() -> None:
    query = make_query(question("www.lab", "A"), encrypted=True, doh=True)
    assert len(query.to_wire()) % 128 == 0
    assert query.id == 0


# -- answers (pure) --------------------------------------------------------------------------


def test_txt_strings_with_spaces_and_quotes_read_back_as_the_same_strings() -> None:
    data = " ".join('"' + s.replace('"', '\\"') + '"' for s in SPACED)
    response = reply_to(make_query(question("txt.lab", "TXT")), f"txt.lab. 300 IN TXT {data}")
    [record] = records(response.answer)
    strings = dns.rdata.from_text("IN", "TXT", record.data).strings  # type: ignore[attr-defined]
    assert tuple(s.decode() for s in strings) == SPACED


def test_answer_fields_give_rcode_flags_every_record_and_the_wire_size() -> None:
    query = make_query(question("www.lab", "A"))
    response = reply_to(query, "www.lab. 300 IN A 198.18.3.2", "www.lab. 300 IN A 198.18.3.3")
    fields = answer_fields(response)
    assert fields["rcode"] == "NOERROR"
    assert fields["flags"] == ("qr", "aa", "rd")
    assert sorted(r.data for r in fields["answers"]) == ["198.18.3.2", "198.18.3.3"]
    assert DnsRecord(name="www.lab.", ttl=300, type="A", data="198.18.3.2") in fields["answers"]
    assert fields["size"] == len(response.to_wire())


def test_nxdomain_is_an_rcode() -> None:
    response = reply_to(make_query(question("no.lab", "A")), rcode=dns.rcode.NXDOMAIN)
    assert answer_fields(response)["rcode"] == "NXDOMAIN"


@pytest.mark.parametrize(("raw", "shown"), [(b"dns.lab", "dns.lab"), (b"\x01\xff", "01ff")])
def test_the_nsid_is_text_when_printable_else_hex(raw: bytes, shown: str) -> None:
    response = dns.message.make_response(make_query(question("www.lab", "A")))
    response.use_edns(0, options=[dns.edns.NSIDOption(raw)])
    assert nsid(dns.message.from_wire(response.to_wire())) == shown


# -- servers (pure) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["--server", "198.18.3.53"], Server("198.18.3.53", 53, "udp")),
        (
            ["--server", "198.18.3.53:5353", "--transport", "tcp"],
            Server("198.18.3.53", 5353, "tcp"),
        ),
        (["--server", "[2001:db8::53]", "--transport", "dot"], Server("2001:db8::53", 853, "dot")),
        (
            ["--server", "dns.lab", "--transport", "dot"],
            Server("dns.lab", 853, "dot", tls_name="dns.lab"),
        ),
        (
            ["--server", "198.18.3.53", "--transport", "dot", "--sni", "dns.lab"],
            Server("198.18.3.53", 853, "dot", tls_name="dns.lab"),
        ),
    ],
)
def test_server_addresses_ports_and_tls_names(words: list[str], expected: Server) -> None:
    assert server_for(dns_cmd(*words, "www.lab")) == expected


def test_a_doh_url_posts_and_a_url_ending_in_the_dns_template_gets() -> None:
    post = server_for(dns_cmd("--server", "https://dns.lab/dns-query", "x.lab"))
    get = server_for(dns_cmd("--server", "https://[2001:db8::53]:8443/q{?dns}", "x.lab"))
    assert (post.host, post.port, post.get, post.tls_name) == ("dns.lab", 443, False, "dns.lab")
    assert (get.host, get.port, get.get, get.tls_name) == ("2001:db8::53", 8443, True, None)
    assert get.url == "https://[2001:db8::53]:8443/q"
    assert get.label == "https://[2001:db8::53]:8443/q{?dns}"


def test_without_server_the_first_nameserver_of_resolv_conf_is_asked(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("search lab\nnameserver 2001:db8::53\nnameserver 198.18.3.53\n")
    assert server_for(dns_cmd("--transport", "dot", "x"), str(conf)) == Server(
        "2001:db8::53", 853, "dot"
    )


def test_no_nameserver_at_all_says_to_give_a_server(tmp_path: Path) -> None:
    with pytest.raises(ProbeEnvironmentError, match="give --server"):
        system_nameserver(str(tmp_path / "missing"))


def test_a_tcp_retry_keeps_the_servers_port() -> None:
    assert with_transport(Server("198.18.3.53", 5353, "udp"), "tcp").port == 5353


# -- errors (pure) ---------------------------------------------------------------------------


def test_failures_read_as_one_clear_sentence() -> None:
    assert describe(TimeoutError(), 5.0) == "no answer within 5 s"
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert describe(refused, 5.0).startswith("connection refused")
    wrapped = httpx.ConnectError("boom")
    wrapped.__context__ = OSError(errno.EHOSTUNREACH, "No route to host")
    assert describe(wrapped, 5.0) == "host unreachable"
    status = ValueError("https://x responded with status code 404\nResponse body: b''")
    assert describe(status, 5.0).startswith("HTTP status 404")


def test_a_name_mismatch_says_what_was_expected_and_what_the_certificate_names() -> None:
    exc = ssl.SSLCertVerificationError("certificate verify failed")
    exc.verify_code, exc.verify_message = 62, "Hostname mismatch"
    text = certificate_error(exc, "dns.lab", ["root.lab"])
    assert text.startswith("certificate verify failed: name mismatch (dns.lab expected")
    assert "the certificate is for root.lab" in text


def test_an_unknown_ca_points_at_ca_and_ssl_cert_file() -> None:
    exc = ssl.SSLCertVerificationError("certificate verify failed")
    exc.verify_code, exc.verify_message = 20, "unable to get local issuer certificate"
    assert "--ca FILE or SSL_CERT_FILE" in certificate_error(exc, "dns.lab", [])


# -- trace logic (pure) ----------------------------------------------------------------------


def step(**fields: object) -> DnsEvent:
    base: dict[str, object] = {
        "agent": "local",
        "target": "www.lab",
        "server": "x",
        "transport": "udp",
        "qtype": "A",
        "rcode": "NOERROR",
    }
    return DnsEvent(**{**base, **fields})  # type: ignore[arg-type]


def rr(name: str, rtype: str, data: str) -> DnsRecord:
    return DnsRecord(name=name, ttl=300, type=rtype, data=data)


def test_the_roots_come_from_the_ns_answer_with_glue_v4_first() -> None:
    found = roots(
        step(
            answers=(rr(".", "NS", "root.lab."),),
            additional=(
                rr("root.lab.", "AAAA", "2001:db8::54"),
                rr("root.lab.", "A", "198.18.3.54"),
            ),
        )
    )
    assert found is not None
    assert found.servers == ("root.lab.",)
    assert found.glue == {"root.lab.": ("198.18.3.54", "2001:db8::54")}


def test_a_referral_must_lead_below_the_zone_and_above_the_name() -> None:
    event = step(
        authority=(rr("lab.", "NS", "ns1.lab."), rr("lab.", "NS", "ns2.lab.")),
        additional=(rr("ns1.lab.", "A", "198.18.3.53"),),
    )
    found = referral(event, ".", "www.lab.")
    assert found is not None
    assert (found.zone, found.servers) == ("lab.", ("ns1.lab.", "ns2.lab."))
    assert referral(event, "lab.", "www.lab.") is None  # not closer: a lame answer
    assert referral(event, ".", "www.example.") is None  # elsewhere: not for this name


def test_a_trace_ends_at_data_an_error_code_or_an_authoritative_empty_answer() -> None:
    assert is_final(step(answers=(rr("www.lab.", "A", "198.18.3.2"),)))
    assert is_final(step(rcode="NXDOMAIN"))
    assert is_final(step(flags=("qr", "aa")))
    assert not is_final(step(authority=(rr("lab.", "NS", "ns1.lab."),)))


# -- the asker over an in-memory connection --------------------------------------------------


@dataclass
class MemoryConnection:
    """The in-memory twin of a DnsConnection: answers from a function, or raises."""

    answer: object
    transport: str = "dot"
    asked: list[dns.message.Message] = field(default_factory=list)

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        self.asked.append(query)
        if isinstance(self.answer, BaseException):
            raise self.answer
        connect = 12.5 if len(self.asked) == 1 else None
        return Exchange(reply_to(query, "www.lab. 300 IN A 198.18.3.2"), 0.25, connect)

    async def aclose(self) -> None:
        return None


def ask(connection: MemoryConnection) -> DnsEvent:
    server = Server("198.18.3.53", 853, "dot")
    asker = Asker(server, "198.18.3.53", None, connection)
    return asyncio.run(asker.ask(question("www.lab", "A"), agent="local", target="www.lab"))


def test_an_answer_becomes_an_event_with_connect_and_query_times() -> None:
    connection = MemoryConnection(answer=True)
    event = ask(connection)
    assert (event.rcode, event.connect_ms, event.query_ms, event.error) == (
        "NOERROR",
        12.5,
        0.25,
        None,
    )
    assert (event.server, event.address, event.transport) == (
        "198.18.3.53:853",
        "198.18.3.53",
        "dot",
    )
    assert len(connection.asked[0].to_wire()) % 128 == 0, "DoT queries are padded"


def test_a_failure_becomes_an_event_with_the_error() -> None:
    event = ask(MemoryConnection(answer=ConnectionRefusedError(errno.ECONNREFUSED, "refused")))
    assert event.rcode is None
    assert event.error is not None
    assert event.error.startswith("connection refused")


# -- the target policy seam ------------------------------------------------------------------


def run_probe(cmd: DnsCommand, env: ProbeEnv) -> list[Event]:
    seen: list[Event] = []

    async def main() -> None:
        async with env:
            await dns_probe.run(cmd, env, seen.append)

    asyncio.run(main())
    return seen


@pytest.mark.parametrize(
    "server", ["127.0.0.1", "[::1]:53", "198.18.3.53", "https://198.18.250.1/q"]
)
def test_a_private_server_is_refused_by_the_policy_before_any_packet(server: str) -> None:
    cmd = dns_cmd("--server", server, "www.lab", "mail.lab")
    events = run_probe(cmd, ProbeEnv(policy=TargetPolicy()))
    assert [type(e) for e in events] == [ErrorEvent, ErrorEvent]
    assert all(isinstance(e, ErrorEvent) and e.code == "policy_denied" for e in events)
    assert {e.target for e in events} == {"www.lab", "mail.lab"}
    assert "DNS server" in events[0].message  # type: ignore[union-attr]


def test_a_served_range_lets_the_policy_allow_a_lab_server() -> None:
    policy = TargetPolicy(served=(ipaddress.ip_network("127.0.0.0/8"),))
    cmd = dns_cmd("--server", "127.0.0.1:1", "--transport", "tcp", "www.lab")
    [event] = run_probe(cmd, ProbeEnv(policy=policy))
    assert isinstance(event, DnsEvent)
    assert event.error is not None
    assert event.error.startswith("connection refused")  # allowed: it was asked
