"""Which server certificates an HTTP probe trusts: the system store, a CA file, or none (-k).

By default the system store is used the way OpenSSL finds it, so ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` trust a private CA as they do for curl and Python; ``--ca FILE`` trusts that
file's certificates instead (curl's ``--cacert``); ``-k`` turns verification off (the result
then says ``verified: false``). The same choice serves TCP (Python's ``ssl``) and QUIC
(aioquic, which would otherwise use certifi's bundle, not the system's).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from cloudping.errors import UsageError


@dataclass(frozen=True, slots=True)
class Trust:
    """The trust settings of one measurement."""

    ca_file: str | None = None
    insecure: bool = False

    def ssl_context(self) -> ssl.SSLContext:
        """A client context (TLS 1.2+) verifying against the chosen store, or not at all.

        Raises:
            UsageError: the ``--ca`` file cannot be read or holds no PEM certificate.
        """
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
            message = f"--ca {self.ca_file}: cannot load a PEM CA certificate ({reason})"
            raise UsageError(message, word=self.ca_file) from exc
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def check(self) -> None:
        """Load the ``--ca`` file once, to refuse a bad one before any request.

        Raises:
            UsageError: the file cannot be read or holds no PEM certificate.
        """
        if self.ca_file is not None:
            self.ssl_context()

    def verify_locations(self) -> tuple[str | None, str | None]:
        """``(cafile, capath)`` for a verifier that does not ask OpenSSL for its defaults."""
        if self.ca_file is not None:
            return self.ca_file, None
        paths = ssl.get_default_verify_paths()  # honours SSL_CERT_FILE and SSL_CERT_DIR
        return paths.cafile, paths.capath
