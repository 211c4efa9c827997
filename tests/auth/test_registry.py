"""The token registry: issued tokens recorded without their text, listed, revoked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudping.auth import (
    AuthError,
    KeyRing,
    MemoryRevocations,
    MemoryTokenRegistry,
    SigningKey,
    SqliteTokenRegistry,
    TokenRecord,
    TokenRegistry,
    TokenService,
)

NOW = 1_750_000_000.0
HOUR = 3600


@pytest.fixture(params=["memory", "sqlite"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TokenRegistry]:
    if request.param == "memory":
        yield MemoryTokenRegistry()
        return
    store = SqliteTokenRegistry.open(tmp_path / "tokens.db")
    yield store
    store.close()


@pytest.fixture
def service(registry: TokenRegistry) -> TokenService:
    return TokenService(KeyRing.of(SigningKey.generate()), registry=registry)


def test_an_issued_token_is_recorded_with_its_claims_and_label(service: TokenService) -> None:
    service.issue("alice", "api", scopes=("measure",), ttl=HOUR, now=NOW, jti="j1", label="cli")
    assert service.registry.list() == (
        TokenRecord("j1", "alice", "api", frozenset({"measure"}), NOW, NOW + HOUR, "cli"),
    )


def test_the_list_of_one_subject_leaves_out_the_others(service: TokenService) -> None:
    service.issue("alice", "api", ttl=HOUR, now=NOW, jti="a1")
    service.issue("bob", "api", ttl=HOUR, now=NOW + 1, jti="b1")
    service.issue("alice", "agent", ttl=HOUR, now=NOW + 2, jti="a2")
    assert [t.jti for t in service.registry.list("alice")] == ["a1", "a2"]
    assert [t.jti for t in service.registry.list()] == ["a1", "b1", "a2"]


def test_revoking_marks_the_record_and_refuses_the_token(service: TokenService) -> None:
    token = service.issue("alice", "api", ttl=HOUR, now=NOW, jti="j1")
    record = service.revoke("j1", NOW + 5)
    assert record is not None
    assert record.revoked_at == NOW + 5
    assert record.state(NOW + 6) == "revoked"
    with pytest.raises(AuthError) as caught:
        service.verify(token, "api", NOW + 6)
    assert caught.value.code == "token_revoked"


def test_a_second_revoke_keeps_the_first_time(service: TokenService) -> None:
    service.issue("alice", "api", ttl=HOUR, now=NOW, jti="j1")
    service.revoke("j1", NOW + 5)
    record = service.revoke("j1", NOW + 50)
    assert record is not None
    assert record.revoked_at == NOW + 5


def test_an_unknown_jti_is_still_revoked(service: TokenService) -> None:
    revocations = MemoryRevocations()
    service.revocations = revocations
    assert service.revoke("from-before", NOW) is None
    assert revocations.is_revoked(jti="from-before", subject="x", issued_at=NOW)


def test_a_record_is_active_then_expired(service: TokenService) -> None:
    service.issue("alice", "api", ttl=HOUR, now=NOW, jti="j1")
    (record,) = service.registry.list()
    assert record.state(NOW + HOUR - 1) == "active"
    assert record.state(NOW + HOUR) == "expired"
    assert record.to_json(NOW)["state"] == "active"


def test_the_registry_file_never_holds_the_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.db"
    registry = SqliteTokenRegistry.open(path)
    service = TokenService(KeyRing.of(SigningKey.generate()), registry=registry)
    token = service.issue("alice", "api", ttl=HOUR, now=NOW)
    registry.close()
    signature = token.rsplit(".", 1)[1].encode()
    for file in tmp_path.iterdir():
        assert signature not in file.read_bytes()
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_token_id_is_read_after_the_signature_is_checked(service: TokenService) -> None:
    token = service.issue("fra1", "agent", ttl=HOUR, now=NOW, jti="j7")
    assert service.token_id(token) == "j7"
    stranger = TokenService(KeyRing.of(SigningKey.generate()))
    forged = stranger.issue("fra1", "agent", ttl=HOUR, now=NOW, jti="j7")
    with pytest.raises(AuthError) as caught:
        service.token_id(forged)
    assert caught.value.code == "token_invalid"


def test_an_accepted_token_lapses_when_revoked_or_expired(service: TokenService) -> None:
    token = service.issue("fra1", "agent", ttl=HOUR, now=NOW, jti="j1")
    principal = service.verify(token, "agent", NOW)
    assert service.lapsed(principal, NOW + 10) is None
    assert service.lapsed(principal, NOW + HOUR + service.leeway) == "token expired"
    service.revoke("j1", NOW + 20)
    assert service.lapsed(principal, NOW + 30) == "token revoked"
