"""`cloudping dns` in its own network lab, against unbound over UDP, TCP, DoT and DoH.

The lab is this module's own (``Lab.build()``): it adds the DNS servers' addresses to the
target and runs unbound there, which other tests of the session lab must not see. The lab
server (198.18.3.53, 2001:db8:3::53) serves ``lab.``; the root (…54) delegates ``lab.`` to it
and presents a certificate for ``root.lab`` only. Clients run in the agent namespace, except
where the system resolver is the subject: the target's resolv.conf names 127.0.0.1, where the
lab server also listens.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.rdata
import jsonschema
import pytest
from lab import Family, Lab, lab_available
from lab.pki import LabPki
from lab.topology import Role
from lab.unbound import BIG_COUNT, LAB_HOSTS, NSID, TXT_STRINGS, lab_server, root_server

from cloudping.events import published_schema

pytestmark = pytest.mark.lab

SERVER = {4: "198.18.3.53", 6: "2001:db8:3::53"}
ROOT = {4: "198.18.3.54", 6: "2001:db8:3::54"}
FAMILIES: tuple[Family, ...] = (4, 6)
TRANSPORTS = ("udp", "tcp", "dot", "doh")
# (type, name) -> the answers' data, sorted.
EXPECTED: dict[tuple[str, str], list[str]] = {
    ("A", "www.lab"): ["198.18.3.2"],
    ("AAAA", "www.lab"): ["2001:db8:3::2"],
    ("MX", "lab"): ["10 mail.lab."],
    ("TXT", "txt.lab"): ['"hello world with  spaces" "a \\"quoted\\" word; and a semicolon"'],
    ("SRV", "_dns._tcp.lab"): ["0 5 853 dns.lab."],
    ("SOA", "lab"): ["ns1.lab. hostmaster.lab. 2026110101 3600 900 604800 60"],
    ("PTR", "198.18.3.2"): ["target.lab."],
    ("PTR", "2001:db8:3::53"): ["dns.lab."],
}


@dataclass(frozen=True)
class DnsLab:
    lab: Lab
    ca: Path

    def server(self, transport: str, family: Family) -> list[str]:
        """The ``--server`` words (and the CA) that reach the lab server over ``transport``."""
        address = SERVER[family] if family == 4 else f"[{SERVER[family]}]"
        if transport == "doh":
            return ["--server", f"https://{address}/dns-query", "--ca", str(self.ca)]
        tls = ["--ca", str(self.ca)] if transport == "dot" else []
        return ["--server", address, "--transport", transport, *tls]

    def cloudping(
        self, *args: str, role: Role = "agent", env: tuple[str, ...] = (), timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        argv = ["env", *env, sys.executable, "-m", "cloudping", *args] if env else None
        if argv is None:
            return self.lab.python(role, args, timeout, check=False)
        return self.lab.run(role, argv, timeout=timeout, check=False)

    def dns_json(self, *args: str, role: Role = "agent") -> list[dict[str, Any]]:
        """The validated NDJSON stream of ``cloudping --json dns ARGS``."""
        result = self.cloudping("--json", "dns", *args, role=role)
        stream = [json.loads(line) for line in result.stdout.splitlines()]
        validator = jsonschema.Draft202012Validator(published_schema())
        for event in stream:
            validator.validate(event)
        assert [stream[0]["type"], stream[-1]["type"]] == ["measurement", "end"], result.stderr
        return stream


@pytest.fixture(scope="module")
def dns_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsLab]:
    reason = lab_available()
    if reason is not None:
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("unbound")
    with Lab.build() as built:
        for family in FAMILIES:
            built.add_addresses("target", family, [SERVER[family], ROOT[family]])
        pki = LabPki(directory / "pki")
        servers, roots = list(SERVER.values()), list(ROOT.values())
        main = lab_server(built, directory / "lab", pki, servers, roots).start()
        root = root_server(built, directory / "root", pki, roots, servers).start()
        yield DnsLab(built, pki.ca_file)
        root.stop()
        main.stop()


def dns_events(stream: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in stream if e["type"] == "dns"]


def data(event: dict[str, Any]) -> list[str]:
    return sorted(r["data"] for r in event["answers"])


# -- the same answers over every transport and family ----------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(("rtype", "name"), list(EXPECTED))
def test_every_transport_gives_the_same_answer(
    dns_lab: DnsLab, family: Family, rtype: str, name: str
) -> None:
    for transport in TRANSPORTS:
        stream = dns_lab.dns_json(*dns_lab.server(transport, family), "-t", rtype, name)
        [event] = dns_events(stream)
        assert event.get("error") is None, (transport, event.get("error"))
        assert (event.get("rcode"), event["transport"], event["qtype"]) == (
            "NOERROR",
            transport,
            rtype,
        )
        assert data(event) == EXPECTED[rtype, name], transport
        assert "aa" in event["flags"]
        assert event.get("nsid") == NSID
        assert event["address"] == SERVER[family]


def test_txt_strings_with_spaces_read_back_exactly(dns_lab: DnsLab) -> None:
    [event] = dns_events(dns_lab.dns_json(*dns_lab.server("udp", 4), "-t", "TXT", "txt.lab"))
    [record] = event["answers"]
    rdata = dns.rdata.from_text("IN", "TXT", record["data"])
    assert tuple(s.decode() for s in rdata.strings) == TXT_STRINGS  # type: ignore[attr-defined]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_text_output_reads_like_dig(dns_lab: DnsLab, transport: str) -> None:
    result = dns_lab.cloudping("dns", *dns_lab.server(transport, 4), "www.lab")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert ";; ->>HEADER<<- opcode: QUERY, status: NOERROR" in out
    assert re.search(r"^;; flags: qr aa rd ra; QUERY: 1, ANSWER: 1,", out, re.M)
    assert re.search(r"^www\.lab\.\s+300\s+IN\s+A\s+198\.18\.3\.2$", out, re.M)
    port = {"udp": 53, "tcp": 53, "dot": 853, "doh": 443}[transport]
    server = f"https://{SERVER[4]}/dns-query ({SERVER[4]})" if transport == "doh" else ""
    assert f";; SERVER: {server or f'{SERVER[4]}#{port}'} ({transport})" in out
    time_line = r"^;; Query time: [\d.]+ msec" + (
        r" \(connect [\d.]+ msec\)$" if port != 53 else ""
    )
    if transport != "udp":
        assert re.search(time_line, out, re.M), out


# -- results that are not answers ------------------------------------------------------------


def test_nxdomain_is_a_result_with_the_zones_soa(dns_lab: DnsLab) -> None:
    [event] = dns_events(dns_lab.dns_json(*dns_lab.server("udp", 4), "nothing.lab"))
    assert (event.get("rcode"), event.get("error"), event["answers"]) == ("NXDOMAIN", None, [])
    assert [r["type"] for r in event["authority"]] == ["SOA"]
    text = dns_lab.cloudping("dns", *dns_lab.server("udp", 6), "nothing.lab")
    assert text.returncode == 0
    assert "status: NXDOMAIN" in text.stdout


@pytest.mark.parametrize("family", FAMILIES)
def test_a_large_rrset_is_truncated_over_udp_and_asked_again_over_tcp(
    dns_lab: DnsLab, family: Family
) -> None:
    [event] = dns_events(dns_lab.dns_json(*dns_lab.server("udp", family), "big.lab"))
    assert (event["truncated"], event["transport"], event.get("rcode")) == (True, "tcp", "NOERROR")
    assert len(event["answers"]) == BIG_COUNT
    assert event["size"] > 1232
    text = dns_lab.cloudping("dns", *dns_lab.server("udp", family), "big.lab")
    assert ";; truncated: retried over TCP" in text.stdout


@pytest.mark.parametrize("transport", ["dot", "doh"])
def test_one_connection_serves_every_name_and_only_the_first_pays_the_setup(
    dns_lab: DnsLab, transport: str
) -> None:
    stream = dns_lab.dns_json(*dns_lab.server(transport, 4), "www.lab", "mail.lab", "dns.lab")
    events = dns_events(stream)
    assert [e["target"] for e in events] == ["www.lab", "mail.lab", "dns.lab"]
    assert events[0]["connect_ms"] > 0
    assert [e.get("connect_ms") for e in events[1:]] == [None, None]
    assert all(e["query_ms"] > 0 for e in events)


def test_dnssec_sets_the_do_bit_and_the_server_echoes_it(dns_lab: DnsLab) -> None:
    [event] = dns_events(dns_lab.dns_json(*dns_lab.server("udp", 4), "--dnssec", "www.lab"))
    assert "do" in event["flags"]


def test_doh_get_with_the_dns_template_gives_the_same_answer(dns_lab: DnsLab) -> None:
    url = f"https://[{SERVER[6]}]/dns-query{{?dns}}"
    stream = dns_lab.dns_json("--server", url, "--ca", str(dns_lab.ca), "-t", "AAAA", "www.lab")
    [event] = dns_events(stream)
    assert (event["server"], data(event)) == (url, ["2001:db8:3::2"])


# -- TLS trust and names ---------------------------------------------------------------------


def dot_root(dns_lab: DnsLab, *extra: str) -> dict[str, Any]:
    args = ["--server", ROOT[4], "--transport", "dot", "--ca", str(dns_lab.ca), *extra]
    [event] = dns_events(dns_lab.dns_json(*args, "-t", "SOA", "."))
    return event


def test_a_certificate_for_another_name_fails_and_says_which_names_it_has(dns_lab: DnsLab) -> None:
    by_address = dot_root(dns_lab)
    assert by_address["error"].startswith(
        f"certificate verify failed: address mismatch ({ROOT[4]} expected, "
        "the certificate is for root.lab"
    )
    by_name = dot_root(dns_lab, "--sni", "dns.lab")
    assert by_name["error"].startswith(
        "certificate verify failed: name mismatch (dns.lab expected, "
        "the certificate is for root.lab"
    )
    assert by_name.get("rcode") is None


def test_the_right_sni_makes_the_same_server_answer(dns_lab: DnsLab) -> None:
    event = dot_root(dns_lab, "--sni", "root.lab")
    assert (event.get("error"), event.get("rcode")) == (None, "NOERROR")
    assert event["answers"][0]["type"] == "SOA"


@pytest.mark.parametrize("transport", ["dot", "doh"])
def test_an_unknown_ca_fails_and_ssl_cert_file_trusts_it(dns_lab: DnsLab, transport: str) -> None:
    words = [w for w in dns_lab.server(transport, 4) if w not in ("--ca", str(dns_lab.ca))]
    untrusted = dns_lab.cloudping("dns", *words, "www.lab")
    assert untrusted.returncode == 1
    assert "certificate verify failed: unable to get local issuer certificate" in untrusted.stdout
    assert "--ca FILE or SSL_CERT_FILE" in untrusted.stdout
    trusted = dns_lab.cloudping("dns", *words, "www.lab", env=(f"SSL_CERT_FILE={dns_lab.ca}",))
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "status: NOERROR" in trusted.stdout


# -- servers that cannot answer and bad input ------------------------------------------------


def test_a_server_that_never_answers_is_an_error_result_within_the_timeout(dns_lab: DnsLab) -> None:
    started = time.monotonic()
    stream = dns_lab.dns_json("--server", dns_lab.lab.blackhole(4), "www.lab")
    elapsed = time.monotonic() - started
    [event] = dns_events(stream)
    assert event.get("error") == "no answer within 5 s"
    assert 5.0 <= elapsed < 9.0


@pytest.mark.parametrize("family", FAMILIES)
def test_an_unreachable_server_is_reported_at_once(dns_lab: DnsLab, family: Family) -> None:
    started = time.monotonic()
    server = dns_lab.lab.unreachable(family)
    [event] = dns_events(dns_lab.dns_json("--server", server, "www.lab"))
    assert event.get("error") == "host unreachable"
    assert time.monotonic() - started < 4.0


@pytest.mark.parametrize("transport", ["tcp", "dot"])
def test_a_closed_port_is_a_refused_connection(dns_lab: DnsLab, transport: str) -> None:
    stream = dns_lab.dns_json("--server", f"{SERVER[4]}:5300", "--transport", transport, "x.lab")
    [event] = dns_events(stream)
    assert event["error"].startswith("connection refused")


def test_a_wrong_doh_path_is_an_http_status(dns_lab: DnsLab) -> None:
    url = f"https://{SERVER[4]}/nothing-here"
    [event] = dns_events(dns_lab.dns_json("--server", url, "--ca", str(dns_lab.ca), "www.lab"))
    assert event["error"].startswith("HTTP status 404")


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["bad..name"], '"bad..name" is not a valid DNS name'),
        (["-t", "BOGUS", "www.lab"], '"BOGUS" is not a known DNS record type'),
        (["--transport", "dot", "--ca", "/nonexistent.pem", "www.lab"], "--ca /nonexistent.pem"),
    ],
)
def test_bad_input_gets_a_specific_error(dns_lab: DnsLab, words: list[str], message: str) -> None:
    result = dns_lab.cloudping("dns", "--server", SERVER[4], *words)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# -- the system resolver and --trace (run where resolv.conf names the lab server) ------------


def test_without_server_the_system_resolver_answers(dns_lab: DnsLab) -> None:
    [event] = dns_events(dns_lab.dns_json("-t", "PTR", "198.18.1.2", role="target"))
    assert (event["server"], event.get("qname")) == ("127.0.0.1:53", "2.1.18.198.in-addr.arpa.")
    assert data(event) == ["agent.lab."]


def test_a_trace_follows_the_delegation_from_the_root_to_the_answer(dns_lab: DnsLab) -> None:
    steps = dns_events(dns_lab.dns_json("--trace", "www.lab", role="target"))
    assert [(e.get("step"), e["server"], e["address"]) for e in steps] == [
        (1, "127.0.0.1:53", "127.0.0.1"),
        (2, "root.lab:53", ROOT[4]),
        (3, "ns1.lab:53", SERVER[4]),
    ]
    assert [(r["name"], r["data"]) for r in steps[1]["authority"]] == [("lab.", "ns1.lab.")]
    assert "rd" not in steps[1]["flags"], "iterative queries ask no recursion"
    assert data(steps[2]) == list(LAB_HOSTS["target.lab."][:1])
    text = dns_lab.cloudping("dns", "--trace", "www.lab", role="target").stdout
    assert f";; Received 63 bytes from {SERVER[4]}#53(ns1.lab) in" in text


def test_a_trace_of_a_missing_name_ends_with_nxdomain_from_the_zones_server(
    dns_lab: DnsLab,
) -> None:
    steps = dns_events(dns_lab.dns_json("--trace", "-t", "MX", "nothing.lab", role="target"))
    assert [e.get("rcode") for e in steps] == ["NOERROR", "NOERROR", "NXDOMAIN"]
    assert steps[-1].get("error") is None


@pytest.mark.parametrize(
    "server",
    [["--server", "dns.lab", "--transport", "dot"], ["--server", "https://dns.lab/dns-query"]],
)
def test_a_server_named_by_host_name_is_resolved_and_its_name_checked(
    dns_lab: DnsLab, server: list[str]
) -> None:
    stream = dns_lab.dns_json(*server, "--ca", str(dns_lab.ca), "www.lab", role="target")
    [event] = dns_events(stream)
    assert event.get("error") is None, event.get("error")
    assert event["address"] in SERVER.values()
    assert data(event) == ["198.18.3.2"]
