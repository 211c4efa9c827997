"""Signing keys on disk: RFC 7638 key ids, mode 0600, made once, rotated, retired."""

from __future__ import annotations

import base64
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloudping.auth import AuthError, KeyDirectory, KeyStoreError, SigningKey, TokenService

NOW = 1_750_000_000.0


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_kid_is_the_rfc_8037_example_thumbprint() -> None:
    # RFC 8037 appendix A.1 (the key) and A.3 (its RFC 7638 thumbprint).
    private = Ed25519PrivateKey.from_private_bytes(
        unb64("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
    )
    key = SigningKey(private)
    assert key.jwk()["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert key.kid == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_first_use_makes_one_key_in_a_private_file(tmp_path: Path) -> None:
    keys = KeyDirectory.in_data_dir(tmp_path).load()
    folder = tmp_path / "keys"
    key_file = folder / f"{keys.active_kid}.pem"
    assert list(keys.keys) == [keys.active_kid]
    assert mode(key_file) == 0o600
    assert mode(folder) == 0o700
    assert mode(folder / "active") == 0o600


def test_loading_again_gives_the_same_key(tmp_path: Path) -> None:
    first = KeyDirectory.in_data_dir(tmp_path).load()
    second = KeyDirectory.in_data_dir(tmp_path).load()
    assert first.active_kid == second.active_kid
    assert first.jwks() == second.jwks()


def test_two_first_uses_at_once_agree_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        rings = list(pool.map(lambda _: KeyDirectory.in_data_dir(tmp_path).load(), range(8)))
    assert len({ring.active_kid for ring in rings}) == 1
    assert len(list((tmp_path / "keys").glob("*.pem"))) == 1


def test_after_rotation_old_tokens_verify_and_new_ones_use_the_new_key(tmp_path: Path) -> None:
    folder = KeyDirectory.in_data_dir(tmp_path)
    service = TokenService(folder.load())
    old_kid = service.keys.active_kid
    old_token = service.issue("alice", "api", ttl=3600, now=NOW)
    service.keys = folder.rotate()
    new_token = service.issue("alice", "api", ttl=3600, now=NOW)
    assert service.keys.active_kid != old_kid
    assert [jwk["kid"] for jwk in service.jwks()["keys"]] == [service.keys.active_kid, old_kid]
    assert service.verify(old_token, "api", NOW).subject == "alice"
    assert service.verify(new_token, "api", NOW).subject == "alice"
    assert folder.load().active_kid == service.keys.active_kid


def test_a_retired_key_no_longer_verifies_its_tokens(tmp_path: Path) -> None:
    folder = KeyDirectory.in_data_dir(tmp_path)
    service = TokenService(folder.load())
    old_kid = service.keys.active_kid
    old_token = service.issue("alice", "api", ttl=3600, now=NOW)
    folder.rotate()
    service.keys = folder.retire(old_kid)
    with pytest.raises(AuthError) as caught:
        service.verify(old_token, "api", NOW)
    assert caught.value.code == "token_invalid"
    assert not (tmp_path / "keys" / f"{old_kid}.pem").exists()


def test_the_active_key_cannot_be_retired(tmp_path: Path) -> None:
    folder = KeyDirectory.in_data_dir(tmp_path)
    active = folder.load().active_kid
    with pytest.raises(KeyStoreError, match="active"):
        folder.retire(active)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    folder = KeyDirectory.in_data_dir(tmp_path)
    key_file = tmp_path / "keys" / f"{folder.load().active_kid}.pem"
    key_file.chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        folder.load()


def test_a_key_file_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    folder = KeyDirectory.in_data_dir(tmp_path)
    folder.load()
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    stranger = tmp_path / "keys" / "stranger.pem"
    stranger.write_bytes(pem)
    stranger.chmod(0o600)
    with pytest.raises(KeyStoreError, match="not an Ed25519 key"):
        folder.load()


def test_a_key_left_without_active_marker_by_a_crash_is_adopted(tmp_path: Path) -> None:
    folder = KeyDirectory.in_data_dir(tmp_path)
    kid = folder.load().active_kid
    (tmp_path / "keys" / "active").unlink()
    assert folder.load().active_kid == kid


def test_several_keys_and_no_active_marker_is_an_error(tmp_path: Path) -> None:
    folder = KeyDirectory.in_data_dir(tmp_path)
    folder.load()
    folder.rotate()
    (tmp_path / "keys" / "active").unlink()
    with pytest.raises(KeyStoreError, match="no usable active key"):
        folder.load()


def test_a_data_directory_that_cannot_be_made_is_a_key_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(KeyStoreError, match="cannot use the key folder"):
        KeyDirectory.in_data_dir(blocker).load()
