"""A lab certificate authority: one CA, leaf certificates for lab names and addresses.

Servers in the lab (unbound's DoT/DoH, Caddy, an SMTP STARTTLS server) present leaves of this
CA; clients trust it explicitly (``--ca FILE``, ``SSL_CERT_FILE``), never the system store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import trustme


@dataclass
class LabPki:
    """A CA whose PEM file is ``ca_file``, issuing leaves into ``directory``."""

    directory: Path
    _ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._ca.cert_pem.write_to_path(str(self.ca_file))

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    def leaf(self, name: str, *identities: str) -> tuple[Path, Path]:
        """A certificate for ``name`` and ``identities`` (names or IP addresses) and its key.

        Returns:
            (certificate chain PEM path, private key PEM path), named after ``name``.
        """
        cert = self._ca.issue_cert(name, *identities)
        cert_file = self.directory / f"{name}.crt"
        key_file = self.directory / f"{name}.key"
        cert_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        cert.private_key_pem.write_to_path(str(key_file))
        return cert_file, key_file
