"""TLS for DoT and DoH: whom to trust, and what a failed verification means in words.

The strict profile of RFC 8310 (section 5): the chain must lead to a trusted CA and the
certificate must name the server (RFC 6125), else the query is not sent. Trust is the system
store (which honours ``SSL_CERT_FILE``/``SSL_CERT_DIR``), or only the CAs of the command's
``ca_pem`` (the CLI's ``--ca FILE``), as ``curl --cacert`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl

from cloudping.probes.tls.trust import Trust

# OpenSSL's X509_V_ERR_* codes that mean "a good chain, the wrong name".
_NAME_MISMATCH = {62: "name", 64: "address"}  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH
_UNTRUSTED = {18, 19, 20, 21}  # self-signed, self-signed in chain, unknown issuer, no leaf


def tls_context(ca_pem: str | None, alpn: list[str], *, verify_name: bool = True) -> ssl.SSLContext:
    """A client context that verifies the chain (and the name, unless ``verify_name`` is off).

    Raises:
        UsageError: OpenSSL cannot load ``ca_pem``.
    """
    context = Trust(ca_pem=ca_pem).ssl_context()
    context.check_hostname = verify_name
    context.set_alpn_protocols(alpn)
    return context


def certificate_error(exc: ssl.SSLCertVerificationError, expected: str, names: list[str]) -> str:
    """One sentence for a failed verification: what was expected, what was presented."""
    code = exc.verify_code
    if code in _NAME_MISMATCH:
        shown = ", ".join(names) if names else "unknown names"
        return (
            f"certificate verify failed: {_NAME_MISMATCH[code]} mismatch ({expected} expected, "
            f"the certificate is for {shown}; --sni NAME sets the name to check)"
        )
    reason = exc.verify_message or str(exc)
    if code in _UNTRUSTED:
        return (
            f"certificate verify failed: {reason} (an untrusted CA: trust it with --ca FILE "
            "or SSL_CERT_FILE)"
        )
    return f"certificate verify failed: {reason}"


async def presented_names(
    address: str, port: int, ca_pem: str | None, server_hostname: str | None, timeout: float
) -> list[str]:
    """The names (DNS and IP SANs) of the certificate a server presents, for error messages.

    A second handshake that checks the chain but not the name: only after a name mismatch,
    so the message can say which names the certificate does carry. Empty when it fails.
    """
    context = tls_context(ca_pem, [], verify_name=False)
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(
                address, port, ssl=context, server_hostname=server_hostname or address
            )
            try:
                cert = writer.get_extra_info("peercert") or {}
            finally:
                writer.close()
            return [_san(kind, str(value)) for kind, value in cert.get("subjectAltName", ())]
    return []


def _san(kind: str, value: str) -> str:
    """A subjectAltName as people write it (OpenSSL spells IPv6 addresses in full)."""
    return str(ipaddress.ip_address(value)) if kind == "IP Address" else value
