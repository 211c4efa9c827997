"""A stream's events become blackbox_exporter's metrics, one series per agent (pure)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from cloudping.channels.probe import BUILTIN, KIND
from cloudping.channels.probe.exposition import exposition, readings
from cloudping.events import (
    DnsEvent,
    DnsRecord,
    ErrorEvent,
    Event,
    HttpEvent,
    HttpTimings,
    MeasurementEvent,
    TlsInfo,
)

EXPIRY = "2027-03-01T12:00:00Z"


def answer(module: str, target: str, events: list[Event]) -> dict[tuple[str, str], float]:
    """``(metric, agent[/phase])`` -> value, from the exposition text itself."""
    text = exposition(readings(BUILTIN[module], target, events, elapsed_s=0.25)).decode()
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            key = s.labels["agent"] + (f"/{s.labels['phase']}" if "phase" in s.labels else "")
            found[s.name, key] = s.value
    return found


def opening(*agents: str) -> MeasurementEvent:
    return MeasurementEvent(id="m1", command="x", agents=agents)


def test_an_https_answer_gives_status_phases_version_and_the_certificates_expiry() -> None:
    timings = HttpTimings(dns_ms=2.0, connect_ms=3.0, tls_ms=5.0, ttfb_ms=20.0, total_ms=26.0)
    http = HttpEvent(
        agent="fra1", target="https://www.lab/", url="https://www.lab/", method="GET",
        status=204, http_version="HTTP/2", address="198.18.3.2", timings=timings,
        tls=TlsInfo(version="TLSv1.3", not_after=EXPIRY), headers=(("content-length", "0"),),
    )  # fmt: skip
    found = answer("http_2xx", "https://www.lab/", [opening("fra1"), http])
    assert found["probe_success", "fra1"] == 1
    assert found["probe_http_status_code", "fra1"] == 204
    assert found["probe_http_version", "fra1"] == 2
    assert found["probe_http_ssl", "fra1"] == 1
    assert found["probe_http_content_length", "fra1"] == 0
    assert found["probe_dns_lookup_time_seconds", "fra1"] == 0.002
    assert found["probe_http_duration_seconds", "fra1/processing"] == 0.010
    assert found["probe_http_duration_seconds", "fra1/transfer"] == 0.006
    expiry = datetime(2027, 3, 1, 12, tzinfo=UTC).timestamp()
    assert found["probe_ssl_earliest_cert_expiry", "fra1"] == expiry
    assert found["probe_duration_seconds", "fra1"] == 0.026


def test_an_nxdomain_is_a_query_that_succeeded_and_a_probe_that_did_not() -> None:
    dns = DnsEvent(
        agent="fra1", target="www.prometheus.io", server="198.18.3.2:53", transport="udp",
        qtype="A", rcode="NXDOMAIN", connect_ms=0.0, query_ms=0.4,
        authority=(DnsRecord(name="lab.", ttl=60, type="SOA", data="x"),),
    )  # fmt: skip
    found = answer("dns_udp", "198.18.3.2:53", [opening("fra1"), dns])
    assert found["probe_dns_query_succeeded", "fra1"] == 1
    assert found["probe_success", "fra1"] == 0
    assert found["probe_dns_authority_rrs", "fra1"] == 1
    assert found["probe_dns_duration_seconds", "fra1/request"] == 0.0004


def test_every_chosen_agent_answers_even_one_that_failed_or_said_nothing() -> None:
    refused = ErrorEvent(code="policy_denied", message="no", agent="ams1", target="10.0.0.1")
    found = answer("icmp", "10.0.0.1", [opening("fra1", "ams1"), refused])
    assert found["probe_success", "fra1"] == found["probe_success", "ams1"] == 0
    assert found["probe_duration_seconds", "fra1"] == 0.25  # the measurement's own time


def test_the_endpoint_is_on_unless_switched_off() -> None:
    plain = argparse.Namespace(probe_endpoint="on", probe_modules=None)
    assert KIND.configure(plain) is not None
    assert KIND.configure(argparse.Namespace(probe_endpoint="off", probe_modules=None)) is None
