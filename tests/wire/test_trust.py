"""What the agent trusts: fingerprints as people paste them, CA files, no insecure default."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from cloudping.errors import CloudpingError
from cloudping.transport.hubcert import self_signed
from cloudping.transport.trust import (
    HubTrust,
    fingerprint,
    format_fingerprint,
    parse_fingerprint,
    untrusted_because,
)

HEX = "a490f60ce294d486ae4317897a777a3ec52a549655048bebd8a179e98d5bc5be"


@pytest.mark.parametrize(
    "typed",
    [
        HEX,
        HEX.upper(),
        ":".join(HEX[i : i + 2] for i in range(0, 64, 2)).upper(),
        "SHA256 Fingerprint=" + ":".join(HEX[i : i + 2] for i in range(0, 64, 2)).upper(),
        "sha256:" + HEX,
        f"  {HEX}\n",
    ],
)
def test_a_fingerprint_is_read_as_openssl_prints_it_or_as_plain_hex(typed: str) -> None:
    assert parse_fingerprint(typed) == bytes.fromhex(HEX)


@pytest.mark.parametrize("typed", ["", "abc", HEX[:-2], HEX + "00", "zz" * 32])
def test_anything_else_is_not_a_fingerprint(typed: str) -> None:
    with pytest.raises(CloudpingError, match="is not a SHA-256 fingerprint") as caught:
        parse_fingerprint(typed)
    assert caught.value.code == "bad_setting"


def test_there_is_no_insecure_default() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        HubTrust()
    with pytest.raises(ValueError, match="exactly one"):
        HubTrust(ca_file=Path("ca.pem"), pin=bytes(32))


def test_the_printed_fingerprint_pins_the_certificate() -> None:
    made = self_signed(["hub.example"])
    cert = x509.load_pem_x509_certificate(made.certificate_pem)
    assert made.fingerprint == format_fingerprint(fingerprint(cert))
    assert len(made.fingerprint) == 95  # 32 bytes as XX:XX:...
    assert untrusted_because(HubTrust.pinned(made.fingerprint), cert, [], "any") is None


def test_a_hub_without_a_certificate_is_untrusted() -> None:
    assert untrusted_because(HubTrust(pin=bytes(32)), None, [], "x") == (
        "the hub presented no certificate"
    )


def test_an_unreadable_ca_file_is_a_setting_error(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    cert = x509.load_pem_x509_certificate(self_signed(["h"]).certificate_pem)
    with pytest.raises(CloudpingError, match="cannot load the hub's CA certificates") as caught:
        untrusted_because(HubTrust.from_ca_file(bad), cert, [], "h")
    assert caught.value.code == "bad_setting"


def test_another_certificate_for_the_same_name_does_not_chain_to_the_ca_file(
    tmp_path: Path,
) -> None:
    ca_file = tmp_path / "hub.crt"
    ca_file.write_bytes(self_signed(["hub.example"]).certificate_pem)
    impostor = x509.load_pem_x509_certificate(self_signed(["hub.example"]).certificate_pem)
    problem = untrusted_because(HubTrust.from_ca_file(ca_file), impostor, [], "hub.example")
    assert problem is not None
    assert "self-signed" in problem
