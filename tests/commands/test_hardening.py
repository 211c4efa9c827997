"""What a remote caller can put in a command: certificates as text (``ca_pem``), never a file
name; no IPv6 range that carries IPv4 addresses to sweep."""

from __future__ import annotations

import pytest
import trustme

from cloudping.commands import (
    DnsCommand,
    HttpCommand,
    format_command,
    from_json,
    help_text,
    json_schema,
    parse,
)
from cloudping.commands.pem import MAX_PEM_CHARS
from cloudping.errors import UsageError

PEM = trustme.CA().cert_pem.bytes().decode()


@pytest.mark.parametrize(
    "line",
    [
        "dns --ca /tmp/fifo --transport dot --server 127.0.0.1 x.test",
        "dns --ca=/dev/stdin x.test",
        "http --ca /etc/ssl/private/key.pem https://x.example/",
    ],
)
def test_a_text_ca_is_refused_saying_to_send_the_certificate(line: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(line)
    assert caught.value.message.endswith(
        "--ca names a file on your machine: send the certificate as ca_pem"
    )


def test_ca_on_a_command_without_certificates_is_just_unknown() -> None:
    with pytest.raises(UsageError, match='unknown option "--ca"'):
        parse("ping --ca x 192.0.2.1")


def test_ca_pem_takes_a_bundle_and_leaves_the_text_form() -> None:
    bundle = PEM + trustme.CA().cert_pem.bytes().decode()
    dns = from_json({"command": "dns", "names": ["x.test"], "ca_pem": bundle})
    http = from_json({"command": "http", "urls": ["https://x.example/"], "ca_pem": PEM})
    assert isinstance(dns, DnsCommand)
    assert isinstance(http, HttpCommand)
    assert (dns.ca_pem, http.ca_pem) == (bundle, PEM)
    assert format_command(dns) == "dns x.test"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("/etc/passwd", "no readable PEM certificate"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "no readable PEM"),
        (PEM.replace("A", "\u0410", 1), "ASCII only"),
        (PEM + " " * MAX_PEM_CHARS, "at most 65536 characters"),
        ("", "at least 1 character"),
    ],
)
def test_ca_pem_that_is_not_pem_certificates_is_refused(text: str, said: str) -> None:
    with pytest.raises(UsageError, match=said):
        from_json({"command": "dns", "names": ["x.test"], "ca_pem": text})


def test_schemas_and_help_name_ca_pem_and_no_file() -> None:
    for name in ("dns", "http"):
        properties = json_schema(name)["properties"]
        assert properties["ca_pem"]["maxLength"] == MAX_PEM_CHARS
        assert "ca" not in properties
        assert "ca_pem" in help_text(name)
        assert "--ca" not in help_text(name).partition("options:")[2].partition("in the")[0]


@pytest.mark.parametrize(
    "cidr",
    [
        "::ffff:127.0.0.0/120",  # IPv4-mapped
        "::ffff:0:7f00:0/120",  # IPv4-translated
        "::7f00:0/120",  # IPv4-compatible
        "64:ff9b::7f00:0/120",  # NAT64
        "64:ff9b:1:7f00::/120",  # NAT64 /48
        "2002:7f00::/120",  # 6to4
        "2001:0:7f00:1::/120",  # Teredo
    ],
)
def test_a_scan_of_an_ipv6_range_carrying_ipv4_addresses_is_refused(cidr: str) -> None:
    with pytest.raises(UsageError, match="carries IPv4 addresses: scan the IPv4 range itself"):
        parse(f"scan {cidr}")
