"""What a TLS session and the server's certificate look like to the client: a ``TlsInfo``.

The certificate is decoded with ``cryptography`` from the DER bytes Python's ``ssl`` hands out
(also when verification is off) or from aioquic's parsed peer certificate. Names follow
RFC 5280: subject and issuer as RFC 4514 strings, subjectAltName DNS names and IP addresses.
"""

from __future__ import annotations

import ssl
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from cloudping.events import TlsInfo

SANS_MAX = 100  # a CDN certificate may name hundreds; the first ones tell the story
_DAY_SECONDS = 86_400


def certificate_fields(cert: x509.Certificate, now: datetime) -> dict[str, Any]:
    """Subject, SANs, issuer, expiry and days left of ``cert`` (``now``: an aware datetime)."""
    not_after = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "sans": subject_alt_names(cert)[:SANS_MAX],
        "issuer": cert.issuer.rfc4514_string(),
        "not_after": not_after.isoformat().replace("+00:00", "Z"),
        "days_left": round((not_after - now).total_seconds() / _DAY_SECONDS, 1),
    }


def subject_alt_names(cert: x509.Certificate) -> tuple[str, ...]:
    """The DNS names and IP addresses of the subjectAltName extension (RFC 5280 4.2.1.6)."""
    try:
        extension = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return ()
    names = extension.value
    assert isinstance(names, x509.SubjectAlternativeName)
    dns = names.get_values_for_type(x509.DNSName)
    ips = names.get_values_for_type(x509.IPAddress)
    return (*dns, *(str(ip) for ip in ips))


def tls_from_ssl(
    ssl_object: ssl.SSLObject | ssl.SSLSocket, *, verified: bool, now: datetime
) -> TlsInfo:
    """The TLS facts of a Python ``ssl`` connection (httpx, httpcore)."""
    cipher = ssl_object.cipher()
    fields: dict[str, Any] = {}
    der = ssl_object.getpeercert(binary_form=True)
    if der:
        fields = certificate_fields(x509.load_der_x509_certificate(der), now)
    return TlsInfo(
        version=ssl_object.version(),
        alpn=ssl_object.selected_alpn_protocol(),
        cipher=cipher[0] if cipher else None,
        verified=verified,
        **fields,
    )


def tls_from_quic(
    *,
    alpn: str | None,
    cipher: str | None,
    cert: x509.Certificate | None,
    verified: bool,
    now: datetime,
) -> TlsInfo:
    """The TLS facts of a QUIC connection: always TLS 1.3 (RFC 9001 section 4.2)."""
    fields = certificate_fields(cert, now) if cert is not None else {}
    return TlsInfo(version="TLSv1.3", alpn=alpn, cipher=cipher, verified=verified, **fields)
