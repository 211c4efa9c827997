"""A self-signed certificate for the hub's QUIC listener, and its fingerprint.

The hub makes one on first start (kept as ``DATA_DIR/hub.crt``) and prints its SHA-256
fingerprint for agents to pin; tests make one per run. ECDSA P-256: every QUIC stack speaks
it and the handshake stays small (one packet carries the certificate).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cloudping.transport.trust import fingerprint, format_fingerprint


@dataclass(frozen=True, slots=True)
class HubCertificate:
    """PEM certificate and key, and the fingerprint agents pin (``AB:CD:...``)."""

    certificate_pem: bytes
    private_key_pem: bytes = b""

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint, as ``--hub-fingerprint`` takes it."""
        cert = x509.load_pem_x509_certificate(self.certificate_pem)
        return format_fingerprint(fingerprint(cert))


def self_signed(
    names: Sequence[str], *, now: datetime | None = None, days: int = 3650
) -> HubCertificate:
    """A certificate for ``names`` (DNS names or IP addresses), valid ``days`` from ``now``.

    Args:
        names: what agents dial (``hub.example.net``, ``192.0.2.7``); the first is the CN.
        now: the start of validity (the current time when ``None``).
        days: how long it is valid; pinning makes renewal an operator's act, so it is long.
    """
    if not names:
        raise ValueError("a hub certificate needs at least one name")
    key = ec.generate_private_key(ec.SECP256R1())
    start = (now or datetime.now(UTC)) - timedelta(minutes=5)  # clocks of agents drift
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(key, hashes.SHA256())
    )
    return HubCertificate(
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
