"""Checking a QUIC server's certificate against a trust store that is loaded once.

aioquic verifies a server certificate by loading the whole CA store into a new store at every
handshake: with a system bundle that is about 5 ms, which would land in the HTTP/3 ``tls``
phase and nowhere in HTTP/1.1's or HTTP/2's (OpenSSL loads it with the context). So the HTTP/3
client turns aioquic's check off and makes the same checks itself when the handshake
completes, before any request is sent: the name (RFC 6125, with service_identity, as aioquic
does) and the chain and validity dates (RFC 5280, OpenSSL), with one store per location.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl

import certifi
import service_identity
from cryptography import x509
from OpenSSL import crypto
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)

from cloudping.errors import ProbeEnvironmentError
from cloudping.probes.tls.trust import Trust


def store_for(trust: Trust) -> crypto.X509Store:
    """The store ``trust`` verifies against: its ``ca_pem``, else the system's locations.

    Raises:
        ProbeEnvironmentError: the system store cannot be loaded (a bad ``SSL_CERT_FILE``).
    """
    if trust.ca_pem is not None:
        return _pem_store(trust.ca_pem)
    paths = ssl.get_default_verify_paths()  # honours SSL_CERT_FILE and SSL_CERT_DIR
    return trust_store(paths.cafile, paths.capath)


@functools.cache
def _pem_store(ca_pem: str) -> crypto.X509Store:
    # The command model has checked that ca_pem parses as certificates.
    store = crypto.X509Store()
    for cert in x509.load_pem_x509_certificates(ca_pem.encode("ascii")):
        store.add_cert(crypto.X509.from_cryptography(cert))
    return store


@functools.cache
def trust_store(cafile: str | None, capath: str | None) -> crypto.X509Store:
    """The CA certificates at ``cafile``/``capath`` (certifi's when neither is known).

    Raises:
        ProbeEnvironmentError: the store cannot be loaded (a bad ``SSL_CERT_FILE``).
    """
    store = crypto.X509Store()
    if cafile is None and capath is None:
        cafile = certifi.where()
    try:
        store.load_locations(cafile, capath)
    except crypto.Error as exc:
        where = " and ".join(str(p) for p in (cafile, capath) if p)
        raise ProbeEnvironmentError(f"cannot load the trusted certificates from {where}") from exc
    return store


def untrusted_because(
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    server_name: str,
    store: crypto.X509Store,
) -> str | None:
    """Why ``cert`` (with its ``chain``) is not to be trusted for ``server_name``; ``None``
    when it is."""
    try:
        _check_name(cert, server_name)
    except (service_identity.VerificationError, service_identity.CertificateError, ValueError):
        return f"the certificate does not name {server_name}"
    context = crypto.X509StoreContext(
        store,
        crypto.X509.from_cryptography(cert),
        [crypto.X509.from_cryptography(link) for link in chain],
    )
    try:
        context.verify_certificate()
    except crypto.X509StoreContextError as exc:
        return str(exc.args[0])
    return None


def _check_name(cert: x509.Certificate, server_name: str) -> None:
    try:
        ipaddress.ip_address(server_name)
    except ValueError:
        verify_certificate_hostname(cert, server_name)
    else:
        verify_certificate_ip_address(cert, server_name)
