"""The hub's QUIC certificate on disk: made once, then the same one on every start.

Agents pin its fingerprint (``--hub-fingerprint``), so a hub that made a new certificate at
each start would lock every agent out after a restart.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cloudping.errors import CloudpingError
from cloudping.transport.hubcert import HubCertificate, self_signed

CERT_FILE, KEY_FILE = "hub.crt", "hub.key"


def hub_certificate(data_dir: Path, names: Sequence[str]) -> HubCertificate:
    """The certificate in ``data_dir`` (``hub.crt``, ``hub.key``), made for ``names`` if absent.

    Raises:
        CloudpingError: ``hub_certificate`` when only one of the two files exists or they
            cannot be read or written.
    """
    cert_path, key_path = data_dir / CERT_FILE, data_dir / KEY_FILE
    try:
        if cert_path.exists() or key_path.exists():
            return _read(cert_path, key_path)
        made = self_signed(list(names))
        # The key first, never readable by others; the certificate last, so that a
        # certificate on disk always has its key (a crash in between leaves only the key).
        _write_private(key_path, made.private_key_pem)
        _write_private(cert_path, made.certificate_pem)  # public, but the hub's files are 0600
    except OSError as exc:
        message = f"cannot read or write the hub certificate in {data_dir}: {exc}"
        raise CloudpingError(message, code="hub_certificate") from exc
    return made


def _read(cert_path: Path, key_path: Path) -> HubCertificate:
    if not (cert_path.exists() and key_path.exists()):
        message = (
            f"{cert_path} and {key_path} go together: one is missing "
            "(restore it, or remove both to make a new certificate agents must pin again)"
        )
        raise CloudpingError(message, code="hub_certificate")
    return HubCertificate(cert_path.read_bytes(), key_path.read_bytes())


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` mode 0600 (O_EXCL: never over a file another start just made)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
