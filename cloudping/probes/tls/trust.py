"""Which server certificates a probe trusts: the system store, the given CAs, or none (-k).

By default the system store is used the way OpenSSL finds it, so ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` trust a private CA as they do for curl and Python; a command's ``ca_pem``
(the CLI's ``--ca FILE``, read by the CLI) trusts those certificates instead (curl's
``--cacert``); ``-k`` turns verification off (the result then says ``verified: false``). The
same choice serves TCP (Python's ``ssl``) and QUIC (aioquic, which would otherwise use
certifi's bundle, not the system's). A probe never opens a file a command names.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

from cloudping.errors import UsageError


@dataclass(frozen=True, slots=True)
class Trust:
    """The trust settings of one measurement."""

    ca_pem: str | None = field(default=None, repr=False)
    insecure: bool = False

    def ssl_context(self) -> ssl.SSLContext:
        """A client context (TLS 1.2+) verifying against the chosen store, or not at all.

        Raises:
            UsageError: ``ca_pem`` holds no certificate OpenSSL can load.
        """
        try:
            context = ssl.create_default_context(cadata=self.ca_pem)
        except ssl.SSLError as exc:
            reason = exc.reason or str(exc)
            raise UsageError(f"ca_pem: cannot load the CA certificates ({reason})") from exc
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def check(self) -> None:
        """Load ``ca_pem`` once, to refuse a bad one before any request.

        Raises:
            UsageError: OpenSSL cannot load the certificates.
        """
        if self.ca_pem is not None:
            self.ssl_context()
