"""Ed25519 signing keys with key ids, kept in a data directory, published as a JWKS.

Layout of ``DATA_DIR/keys/`` (directory mode 0700):

- ``KID.pem``: one private key per file, PKCS#8 PEM, mode 0600; its name is its key id.
- ``active``: the key id that signs new tokens. Older keys stay (and stay in the JWKS) so the
  tokens they signed keep verifying until they expire or the key is retired.

The key id is the RFC 7638 thumbprint of the public key (RFC 8037 section 2 names the members
of an OKP key it hashes), so it is stable: the same key always gets the same ``kid``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cloudping.auth.errors import KeyStoreError
from cloudping.datafiles import write_private

# RFC 8037 section 3.1: "EdDSA" is the JWS algorithm of Ed25519 signatures.
ALGORITHM = "EdDSA"
_ACTIVE = "active"
_LOCK = ".lock"
_PEM = ".pem"


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(public_key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256) of an Ed25519 public key: its key id.

    RFC 8037 section 2: the required members of an OKP key are ``crv``, ``kty`` and ``x``;
    RFC 7638 section 3: hash them as JSON in lexicographic order, without whitespace.
    """
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(_raw_public(public_key))}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One Ed25519 key pair and its key id. The private half never appears in a repr."""

    private_key: Ed25519PrivateKey = field(repr=False)
    kid: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kid", thumbprint(self.private_key.public_key()))

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh key (from the operating system's random source)."""
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half, which verifies what the key signed."""
        return self.private_key.public_key()

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 7517 section 4, RFC 8037 section 2)."""
        x = b64url(_raw_public(self.public_key))
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": x,
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
        }


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The keys a token service verifies with, and the one it signs with.

    Args:
        keys: every key still accepted, by key id.
        active_kid: the key id of the key that signs new tokens.
    """

    keys: Mapping[str, SigningKey]
    active_kid: str

    def __post_init__(self) -> None:
        if self.active_kid not in self.keys:
            raise KeyStoreError(f"the active key {self.active_kid} is not among the keys")

    @classmethod
    def of(cls, *keys: SigningKey) -> KeyRing:
        """A ring of ``keys`` (the last one signs), in memory: for tests and examples."""
        if not keys:
            keys = (SigningKey.generate(),)
        return cls({key.kid: key for key in keys}, keys[-1].kid)

    @property
    def active(self) -> SigningKey:
        """The key that signs new tokens."""
        return self.keys[self.active_kid]

    def get(self, kid: str) -> SigningKey | None:
        """The key with this key id, or ``None`` when it is unknown (or retired)."""
        return self.keys.get(kid)

    def jwks(self) -> dict[str, Any]:
        """The JWK Set of every public key (RFC 7517 section 5), the active key first."""
        ordered = [
            self.active,
            *(k for kid, k in sorted(self.keys.items()) if kid != self.active_kid),
        ]
        return {"keys": [key.jwk() for key in ordered]}


@dataclass(frozen=True, slots=True)
class KeyDirectory:
    """The ``keys/`` folder of a data directory: load, create on first use, rotate, retire.

    Every change happens under an exclusive lock on ``keys/.lock``, so a hub and a
    ``cloudping token issue`` starting together on an empty directory agree on one key.
    """

    path: Path

    @classmethod
    def in_data_dir(cls, data_dir: str | os.PathLike[str]) -> KeyDirectory:
        """The key folder of ``data_dir`` (``DATA_DIR/keys``)."""
        return cls(Path(data_dir) / "keys")

    def load(self) -> KeyRing:
        """The keys on disk; the first key is made when there is none.

        Raises:
            KeyStoreError: a key file is readable by others, corrupt or not Ed25519, or
                several keys exist and none is marked active.
        """
        with self._locked():
            keys = self._read_keys()
            if not keys:
                key = SigningKey.generate()
                self._write_key(key)
                self._write_active(key.kid)
                return KeyRing({key.kid: key}, key.kid)
            return KeyRing(keys, self._active_kid(keys))

    def rotate(self) -> KeyRing:
        """Make a new key the active one; the old keys stay to verify what they signed."""
        with self._locked():
            key = SigningKey.generate()
            self._write_key(key)
            self._write_active(key.kid)
            return KeyRing(self._read_keys(), key.kid)

    def retire(self, kid: str) -> KeyRing:
        """Delete a key that is not active: tokens it signed stop verifying.

        Raises:
            KeyStoreError: ``kid`` is the active key, or unknown.
        """
        with self._locked():
            keys = self._read_keys()
            active = self._active_kid(keys)
            if kid == active or kid not in keys:
                why = "is the active key" if kid == active else "is not a known key"
                raise KeyStoreError(f"cannot retire key {kid}: it {why}", kid=kid)
            (self.path / f"{kid}{_PEM}").unlink()
            del keys[kid]
            return KeyRing(keys, active)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the folder's lock; a file system error becomes a :class:`KeyStoreError`."""
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise KeyStoreError(f"cannot use the key folder {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        except OSError as exc:
            raise KeyStoreError(f"cannot write in {self.path}: {exc.strerror}") from exc
        finally:
            os.close(fd)  # closing releases the lock

    def _read_keys(self) -> dict[str, SigningKey]:
        keys: dict[str, SigningKey] = {}
        for file in sorted(self.path.glob(f"*{_PEM}")):
            key = _read_key(file)
            keys[key.kid] = key
        return keys

    def _active_kid(self, keys: Mapping[str, SigningKey]) -> str:
        try:
            kid = (self.path / _ACTIVE).read_text("ascii").strip()
        except FileNotFoundError:
            kid = ""
        if kid in keys:
            return kid
        if len(keys) == 1 and not kid:
            # A first start stopped between writing the key and naming it active.
            (only,) = keys
            self._write_active(only)
            return only
        raise KeyStoreError(
            f"no usable active key in {self.path}: write one of {', '.join(sorted(keys))} "
            f"into {self.path / _ACTIVE}"
        )

    def _write_key(self, key: SigningKey) -> None:
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private(self.path / f"{key.kid}{_PEM}", pem)

    def _write_active(self, kid: str) -> None:
        write_private(self.path / _ACTIVE, f"{kid}\n".encode("ascii"))


def _read_key(file: Path) -> SigningKey:
    """One key file, refused when others may read it (as ssh refuses such a private key)."""
    try:
        mode = stat.S_IMODE(file.stat().st_mode)
        if mode & 0o077:
            raise KeyStoreError(
                f"key file {file} is readable by others (mode {mode:o}): chmod 600 it",
                file=str(file),
            )
        private = serialization.load_pem_private_key(file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyStoreError(f"cannot read key file {file}: {exc}", file=str(file)) from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyStoreError(f"key file {file} is not an Ed25519 key", file=str(file))
    return SigningKey(private)
