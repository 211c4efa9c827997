"""`cloudping http` in the network lab, against Caddy over HTTP/1.1, HTTP/2 and HTTP/3.

Caddy runs on the target (ports 4443 TCP+UDP and 8480, see ``lab/servers.py``) with a leaf of
the lab CA for ``www.lab`` and the target's addresses; the agent's hosts file names
``www.lab`` for this module only. Every endpoint answers with the protocol Caddy saw, so a
test knows which protocol really carried the request. The CLI runs in the agent namespace;
every ``--json`` line is checked against the published schema.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from lab import Family, Lab
from lab.pki import LabPki
from lab.servers import BIG_SIZE, ECHO_PREFIX, HTTP_PORT, HTTPS_PORT, WWW, Caddy

from cloudping.events import published_schema

pytestmark = pytest.mark.lab

FAMILIES: tuple[Family, ...] = (4, 6)
# --http -> (what the event says, what Caddy saw, ALPN)
VERSIONS = {
    "1.1": ("HTTP/1.1", "HTTP/1.1", "http/1.1"),
    "2": ("HTTP/2", "HTTP/2.0", "h2"),
    "3": ("HTTP/3", "HTTP/3.0", "h3"),
}
SITE = f"https://{WWW}:{HTTPS_PORT}"
PLAIN = f"http://{WWW}:{HTTP_PORT}"
VALIDATOR = jsonschema.Draft202012Validator(published_schema())
Json = dict[str, Any]


@dataclass(frozen=True)
class Site:
    """The running Caddy: the lab, the CA file to trust, and the certificate it presents."""

    lab: Lab
    caddy: Caddy
    ca_file: str
    cert: x509.Certificate


@pytest.fixture(scope="module")
def site(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("http-lab")
    pki = LabPki(directory / "pki")
    caddy = Caddy(lab, directory / "caddy", pki, (lab.addr("target", 4), lab.addr("target", 6)))
    hosts = lab.etc_dir("agent") / "hosts"
    before = hosts.read_text()
    try:
        hosts.write_text(before + "".join(f"{lab.addr('target', f)} {WWW}\n" for f in FAMILIES))
        caddy.start()
        assert caddy.cert is not None
        cert = x509.load_pem_x509_certificate(caddy.cert.read_bytes())
        yield Site(lab, caddy, str(pki.ca_file), cert)
    finally:
        caddy.stop()
        hosts.write_text(before)  # the session lab is shared: leave it as it was


def cloudping(
    site: Site, *args: str, env: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    argv = ["env", *env, sys.executable, "-m", "cloudping", *args]
    return site.lab.run("agent", argv, timeout=60, check=False)


def http_events(site: Site, *args: str, env: tuple[str, ...] = ()) -> tuple[list[Json], int]:
    """Run ``cloudping --json http ARGS``; the events (each checked against the schema), exit."""
    result = cloudping(site, "--json", "http", *args, env=env)
    stream = [json.loads(line) for line in result.stdout.splitlines()]
    for event in stream:
        VALIDATOR.validate(event)
    assert stream, f"no events; stderr: {result.stderr}\ncaddy: {site.caddy.log()[-2000:]}"
    assert (stream[0]["type"], stream[-1]["type"]) == ("measurement", "end")
    return stream, result.returncode


def the_http(stream: list[Json]) -> Json:
    [event] = [e for e in stream if e["type"] == "http"]
    return event


def header(event: Json, name: str) -> str | None:
    return next((v for k, v in event["headers"] if k.lower() == name), None)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("version", list(VERSIONS))
def test_each_version_is_the_protocol_the_server_saw(
    site: Site, version: str, family: Family
) -> None:
    said, seen, alpn = VERSIONS[version]
    stream, status = http_events(site, f"-{family}", "--http", version, "--ca", site.ca_file, SITE)
    event = the_http(stream)
    assert status == 0, event
    assert (event["status"], event.get("http_version"), event.get("error")) == (200, said, None)
    assert (header(event, "x-proto"), event["body_excerpt"]) == (seen, seen)
    assert event["address"] == site.lab.addr("target", family)
    assert event["tls"]["alpn"] == alpn
    timings = event["timings"]
    assert all(timings[k] > 0 for k in ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "total_ms"))
    assert timings["dns_ms"] + timings["connect_ms"] + timings["tls_ms"] < timings["ttfb_ms"]
    assert timings["ttfb_ms"] <= timings["total_ms"]


def test_unasked_the_client_offers_http2_over_tls_and_http11_in_plain_text(site: Site) -> None:
    tls, _ = http_events(site, "--ca", site.ca_file, SITE)
    plain, _ = http_events(site, f"{PLAIN}/")
    assert header(the_http(tls), "x-proto") == "HTTP/2.0"
    assert header(the_http(plain), "x-proto") == "HTTP/1.1"
    assert the_http(plain).get("tls") is None


def test_http2_in_plain_text_is_spoken_with_prior_knowledge(site: Site) -> None:
    stream, _ = http_events(site, "--http", "2", f"{PLAIN}/")
    assert header(the_http(stream), "x-proto") == "HTTP/2.0"


@pytest.mark.parametrize("version", ["1.1", "3"])
def test_a_503_is_a_result_and_the_exit_status_is_0(site: Site, version: str) -> None:
    stream, status = http_events(site, "--http", version, "--ca", site.ca_file, f"{SITE}/503")
    event = the_http(stream)
    assert (status, event["status"], event["body_excerpt"], event.get("error")) == (
        0,
        503,
        "unavailable",
        None,
    )
    assert not [e for e in stream if e["type"] == "error"]


@pytest.mark.parametrize("version", list(VERSIONS))
def test_redirects_are_followed_and_the_chain_reported(site: Site, version: str) -> None:
    args = ("-L", "--http", version, "--ca", site.ca_file, f"{SITE}/redirect")
    event = the_http(http_events(site, *args)[0])
    hops = [(h["status"], h["url"], h["location"]) for h in event["redirects"]]
    assert hops == [(302, f"{SITE}/redirect", "/hop2"), (301, f"{SITE}/hop2", "/")]
    assert all(h["address"] and h["timings"]["total_ms"] > 0 for h in event["redirects"])
    assert (event["status"], event["url"], event["body_excerpt"]) == (
        200,
        f"{SITE}/",
        VERSIONS[version][1],
    )


def test_without_follow_the_redirect_is_the_answer(site: Site) -> None:
    event = the_http(http_events(site, "--ca", site.ca_file, f"{SITE}/redirect")[0])
    assert (event["status"], event["redirects"], header(event, "location")) == (302, [], "/hop2")


@pytest.mark.parametrize("version", ["1.1", "2", "3"])
def test_the_body_cap_truncates_and_without_it_the_body_is_whole(site: Site, version: str) -> None:
    common = ("--http", version, "--ca", site.ca_file, f"{SITE}/big")
    capped = the_http(http_events(site, "--max-body", "1000", *common)[0])
    whole = the_http(http_events(site, *common)[0])
    assert (capped["body_bytes"], capped["truncated"]) == (1000, True)
    assert (whole["body_bytes"], whole["truncated"]) == (BIG_SIZE, False)
    assert whole["body_excerpt"].startswith("0123456789abcdef")


@pytest.mark.parametrize("version", ["2", "3"])
def test_tls_details_match_the_lab_certificate(site: Site, version: str) -> None:
    event = the_http(http_events(site, "--http", version, "--ca", site.ca_file, SITE)[0])
    tls, cert = event["tls"], site.cert
    assert (tls["version"], tls["verified"]) == ("TLSv1.3", True)
    assert tls["cipher"].startswith("TLS_")
    assert tls["subject"] == cert.subject.rfc4514_string()
    assert tls["issuer"] == cert.issuer.rfc4514_string()
    assert tls["sans"] == [WWW, site.lab.addr("target", 4), site.lab.addr("target", 6)]
    expires = cert.not_valid_after_utc
    assert tls["not_after"] == expires.isoformat().replace("+00:00", "Z")
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    assert tls["days_left"] == pytest.approx(days, abs=0.2)


@pytest.mark.parametrize("version", list(VERSIONS))
def test_without_the_ca_the_untrusted_certificate_is_a_clear_result(
    site: Site, version: str
) -> None:
    stream, status = http_events(site, "--http", version, SITE)
    event = the_http(stream)
    assert (status, event.get("status")) == (1, None)
    assert event["error"].startswith("TLS certificate not trusted:"), event["error"]
    assert "--ca FILE" in event["error"]
    if version == "3":  # QUIC checks it once the handshake is done: the refused cert is shown
        assert event["tls"]["verified"] is False
        assert event["tls"]["subject"] == site.cert.subject.rfc4514_string()
    text = cloudping(site, "http", "--http", version, SITE).stdout
    assert f"{SITE} ({event['address']}): TLS certificate not trusted:" in text


@pytest.mark.parametrize("version", ["2", "3"])
def test_ssl_cert_file_trusts_the_lab_ca(site: Site, version: str) -> None:
    env = (f"SSL_CERT_FILE={site.ca_file}",)
    event = the_http(http_events(site, "--http", version, SITE, env=env)[0])
    assert (event["status"], event["tls"]["verified"]) == (200, True)


@pytest.mark.parametrize("version", ["1.1", "3"])
def test_k_works_and_says_the_certificate_was_not_verified(site: Site, version: str) -> None:
    event = the_http(http_events(site, "-k", "--http", version, SITE)[0])
    assert (event["status"], event["tls"]["verified"]) == (200, False)
    text = cloudping(site, "http", "-k", "--http", version, SITE).stdout
    assert "NOT VERIFIED (-k)" in text


@pytest.mark.parametrize("version", list(VERSIONS))
def test_method_and_body_reach_the_server(site: Site, version: str) -> None:
    args = ("-X", "PUT", "-d", "hello", "--http", version, "--ca", site.ca_file, f"{SITE}/echo")
    event = the_http(http_events(site, *args)[0])
    assert event["body_excerpt"] == f"{ECHO_PREFIX}PUT body=hello"
    assert event["method"] == "PUT"


@pytest.mark.parametrize("version", ["1.1", "3"])
def test_an_unreachable_server_is_an_error_result_within_the_timeout(
    site: Site, version: str
) -> None:
    url = f"https://{site.lab.blackhole(4)}:{HTTPS_PORT}/"
    started = time.monotonic()
    stream, status = http_events(site, "-W", "1", "--http", version, "-k", url)
    elapsed = time.monotonic() - started
    assert (status, the_http(stream)["error"]) == (1, "timed out after 1 s connecting")
    assert elapsed < 10, "the timeout bounds the request (plus interpreter start-up)"


@pytest.mark.parametrize(("version", "proto"), [("1.1", "TCP"), ("3", "UDP")])
def test_a_port_nobody_listens_on_is_a_refused_connection(
    site: Site, version: str, proto: str
) -> None:
    url = f"https://{site.lab.addr('target', 4)}:9/"
    event = the_http(http_events(site, "-W", "5", "--http", version, "-k", url)[0])
    assert event["error"].startswith("connection refused"), (proto, event["error"])


def test_a_name_that_does_not_resolve_is_resolve_failed(site: Site) -> None:
    stream, status = http_events(site, "http://nothing.lab/")
    [error] = [e for e in stream if e["type"] == "error"]
    assert (status, error["code"], error["target"]) == (2, "resolve_failed", "http://nothing.lab/")


def test_text_output_reads_like_curl_v(site: Site) -> None:
    result = cloudping(site, "http", "-4", "-L", "--ca", site.ca_file, f"{SITE}/redirect")
    lines = result.stdout.splitlines()
    target = site.lab.addr("target", 4)
    assert lines[0] == f"HTTP/2 200 {SITE}/ ({target})"
    assert lines[1].startswith(f"redirect 1: 302 {SITE}/redirect -> /hop2 ({target}, ")
    assert lines[2].startswith(f"redirect 2: 301 {SITE}/hop2 -> / ({target}, ")
    assert lines[3].startswith("dns ")
    assert " ttfb " in lines[3]
    assert " total " in lines[3]
    assert "TLS TLSv1.3, ALPN h2, TLS_" in result.stdout
    assert f"     SANs {WWW}, {target}, {site.lab.addr('target', 6)}" in result.stdout
    assert lines[-2:] == ["8 bytes of body:", "HTTP/2.0"]
    assert result.returncode == 0


# -- the target policy, in-process in the agent namespace ------------------------------------------

POLICY_SCRIPT = """
import asyncio, ipaddress, sys
from cloudping.commands import HttpCommand
from cloudping.events import to_json_line
from cloudping.probes.http import probe as http
from cloudping.probes.env import ProbeEnv
from cloudping.probes.targets import TargetPolicy

served = tuple(ipaddress.ip_network(n) for n in sys.argv[2:])
cmd = HttpCommand(urls=(sys.argv[1],), follow=True, insecure=True, timeout=5)
emit = lambda event: print(to_json_line(event), flush=True)
asyncio.run(http.run(cmd, ProbeEnv(policy=TargetPolicy(served=served)), emit))
"""
LAB_RANGES = ("198.18.0.0/15", "2001:db8::/32")


def with_policy(site: Site, url: str, *served: str) -> list[Json]:
    argv = [sys.executable, "-c", POLICY_SCRIPT, url, *served]
    result = site.lab.run("agent", argv, timeout=60)
    stream = [json.loads(line) for line in result.stdout.splitlines()]
    for event in stream:
        VALIDATOR.validate(event)
    return stream


def test_a_lab_address_is_refused_by_a_policy_that_does_not_serve_it(site: Site) -> None:
    [error] = with_policy(site, f"https://{site.lab.addr('target', 4)}:{HTTPS_PORT}/")
    assert error["type"] == "error"
    assert error["code"] == "policy_denied"
    assert "is a benchmarking address (198.18.0.0/15, RFC 2544)" in error["message"]


def test_a_redirect_to_a_refused_target_is_not_followed(site: Site) -> None:
    chain, error = with_policy(site, f"{SITE}/out", *LAB_RANGES)
    assert chain["type"] == "http"
    assert [(h["status"], h["location"]) for h in chain["redirects"]] == [
        (302, f"http://127.0.0.1:{HTTP_PORT}/")
    ]
    assert chain["error"].startswith("redirect not followed: HTTP target 127.0.0.1")
    assert (error["type"], error["code"]) == ("error", "policy_denied")


def test_within_served_ranges_the_policy_lets_the_request_through(site: Site) -> None:
    [event] = with_policy(site, f"{SITE}/", *LAB_RANGES)
    assert (event["type"], event["status"]) == ("http", 200)
