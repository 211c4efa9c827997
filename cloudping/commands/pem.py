"""CA certificates a command carries as PEM text (``ca_pem``), never as a file name.

A file name from a remote caller would make the hub or an agent open a path of the caller's
choosing: a FIFO or ``/dev/stdin`` blocks the process, and the answer tells whether a path
exists. So the CLI reads ``--ca FILE`` itself and every channel carries the content.
"""

from __future__ import annotations

MAX_PEM_CHARS = 64 * 1024
CA_FLAG = "--ca"  # the CLI's process option; in a command line sent anywhere it is refused
CA_REFUSED = "--ca names a file on your machine: send the certificate as ca_pem"


def check_ca_pem(text: str) -> str:
    """``text`` when it holds one or more PEM certificates (RFC 7468) and nothing unreadable.

    Raises:
        ValueError: not ASCII, or no certificate that parses.
    """
    # Imported here: only a command that carries certificates needs the X.509 parser.
    from cryptography import x509  # noqa: PLC0415

    if not text.isascii():
        raise ValueError("is not PEM text: ASCII only (RFC 7468)")
    try:
        x509.load_pem_x509_certificates(text.encode("ascii"))
    except ValueError:
        message = "holds no readable PEM certificate (-----BEGIN CERTIFICATE-----)"
        raise ValueError(message) from None
    return text
