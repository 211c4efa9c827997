"""How an agent knows it reached its hub: a CA file, or a pinned SHA-256 fingerprint.

By default the hub makes itself a self-signed certificate (:mod:`cloudping.transport.hubcert`) and
prints its fingerprint; the agent takes ``--hub-fingerprint`` (that fingerprint) or
``--hub-ca FILE`` (a CA, or the hub's own certificate). There is no insecure default: a
:class:`HubTrust` names one of the two. The check runs after the TLS handshake (which has
already proved the hub holds the certificate's key, aioquic checks CertificateVerify always)
and before the agent sends a byte, so its token never reaches an impostor.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from OpenSSL import crypto

from cloudping.errors import CloudpingError
from cloudping.probes.tls.quictrust import untrusted_because as chain_problem

_SHA256_BYTES = 32
_HEX = re.compile(r"[0-9a-f]{64}")


def fingerprint(cert: x509.Certificate) -> bytes:
    """The SHA-256 digest of the certificate's DER encoding (what ``openssl x509
    -fingerprint -sha256`` prints)."""
    return cert.fingerprint(hashes.SHA256())


def format_fingerprint(digest: bytes) -> str:
    """``AB:CD:...``: the form openssl prints and people compare by eye."""
    return ":".join(f"{byte:02X}" for byte in digest)


def parse_fingerprint(text: str) -> bytes:
    """A SHA-256 fingerprint as typed: ``AB:CD:..``, ``abcd..``, with an optional
    ``sha256:``/``SHA256 Fingerprint=`` prefix (openssl's output pastes as it is).

    Raises:
        CloudpingError: (code ``bad_setting``) not 32 bytes of hex.
    """
    digits = text.strip().lower()
    digits = re.sub(r"^(sha-?256)( fingerprint)?\s*[:=]\s*", "", digits)
    digits = digits.replace(":", "").replace(" ", "")
    if not _HEX.fullmatch(digits):
        raise CloudpingError(
            f"{text!r} is not a SHA-256 fingerprint (64 hex digits, colons allowed)",
            code="bad_setting",
        )
    return bytes.fromhex(digits)


@dataclass(frozen=True, slots=True)
class HubTrust:
    """What the agent trusts: exactly one of a CA file and a pinned fingerprint.

    Use :meth:`pinned` or :meth:`from_ca_file`.
    """

    ca_file: Path | None = None
    pin: bytes | None = None

    def __post_init__(self) -> None:
        if (self.ca_file is None) == (self.pin is None):
            raise ValueError("HubTrust needs exactly one of ca_file and pin")
        if self.pin is not None and len(self.pin) != _SHA256_BYTES:
            raise ValueError("a pin is a SHA-256 digest (32 bytes)")

    @classmethod
    def pinned(cls, text: str) -> HubTrust:
        """Trust the certificate with this fingerprint (see :func:`parse_fingerprint`)."""
        return cls(pin=parse_fingerprint(text))

    @classmethod
    def from_ca_file(cls, path: Path | str) -> HubTrust:
        """Trust certificates that chain to the PEM certificates in ``path`` and name the
        hub as it was dialled (or as ``server_name`` says)."""
        return cls(ca_file=Path(path))


def untrusted_because(
    trust: HubTrust,
    cert: x509.Certificate | None,
    chain: list[x509.Certificate],
    server_name: str,
) -> str | None:
    """Why the hub's certificate is not to be trusted; ``None`` when it is.

    Raises:
        CloudpingError: (code ``bad_setting``) the CA file cannot be read.
    """
    if cert is None:
        return "the hub presented no certificate"
    if trust.pin is not None:
        got = fingerprint(cert)
        if hmac.compare_digest(got, trust.pin):
            return None
        return (
            f"the hub's certificate has SHA-256 fingerprint {format_fingerprint(got)},"
            f" not the pinned {format_fingerprint(trust.pin)}"
        )
    assert trust.ca_file is not None  # __post_init__: one of the two
    return chain_problem(cert, chain, server_name, _store(trust.ca_file))


def _store(ca_file: Path) -> crypto.X509Store:
    """A store with ``ca_file`` read now: a hub certificate renewed on disk counts at the
    next reconnect (one small file; no cache)."""
    store = crypto.X509Store()
    try:
        store.load_locations(str(ca_file))
    except crypto.Error as exc:
        raise CloudpingError(
            f"cannot load the hub's CA certificates from {ca_file}", code="bad_setting"
        ) from exc
    return store
