"""Revocations by jti and by subject, in memory and in SQLite (the same behaviour)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from cloudping.auth import MemoryRevocations, Revocations, SqliteRevocations
from cloudping.errors import CloudpingError

NOW = 1_750_000_000.0


@pytest.fixture(params=["memory", "sqlite"])
def revocations(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Revocations]:
    if request.param == "memory":
        yield MemoryRevocations()
        return
    store = SqliteRevocations.open(tmp_path / "state.sqlite3")
    yield store
    store.close()


def test_a_revoked_jti_is_revoked_for_any_subject(revocations: Revocations) -> None:
    revocations.revoke_token("t1", expires_at=NOW + 60)
    assert revocations.is_revoked(jti="t1", subject="alice", issued_at=NOW)
    assert not revocations.is_revoked(jti="t2", subject="alice", issued_at=NOW)


def test_a_revoked_subject_covers_tokens_issued_until_the_cutoff(revocations: Revocations) -> None:
    revocations.revoke_subject("alice", issued_until=NOW)
    assert revocations.is_revoked(jti="a", subject="alice", issued_at=NOW - 10)
    assert revocations.is_revoked(jti="b", subject="alice", issued_at=NOW)
    assert not revocations.is_revoked(jti="c", subject="alice", issued_at=NOW + 1)
    assert not revocations.is_revoked(jti="d", subject="bob", issued_at=NOW - 10)


def test_a_later_subject_cutoff_wins_and_an_earlier_one_does_not_undo_it(
    revocations: Revocations,
) -> None:
    revocations.revoke_subject("alice", issued_until=NOW + 100)
    revocations.revoke_subject("alice", issued_until=NOW)
    assert revocations.is_revoked(jti="a", subject="alice", issued_at=NOW + 50)


def test_a_ban_is_a_cutoff_at_infinity(revocations: Revocations) -> None:
    revocations.revoke_subject("mallory", issued_until=math.inf)
    assert revocations.is_revoked(jti="a", subject="mallory", issued_at=NOW + 1e9)


def test_purge_forgets_jtis_of_expired_tokens_only(revocations: Revocations) -> None:
    revocations.revoke_token("old", expires_at=NOW - 1)
    revocations.revoke_token("live", expires_at=NOW + 60)
    assert revocations.purge(NOW) == 1
    assert not revocations.is_revoked(jti="old", subject="a", issued_at=NOW - 100)
    assert revocations.is_revoked(jti="live", subject="a", issued_at=NOW - 100)


def test_sqlite_revocations_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first = SqliteRevocations.open(path)
    first.revoke_token("t1", expires_at=NOW + 60)
    first.revoke_subject("alice", issued_until=NOW)
    first.close()
    second = SqliteRevocations.open(path)
    try:
        assert second.is_revoked(jti="t1", subject="bob", issued_at=NOW)
        assert second.is_revoked(jti="x", subject="alice", issued_at=NOW)
    finally:
        second.close()


def test_sqlite_revocations_record_their_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteRevocations.open(path).close()
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT component, version FROM schema_version").fetchall()
    assert rows == [("revocations", 1)]


def test_a_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteRevocations.open(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(CloudpingError, match="newer") as caught:
        SqliteRevocations.open(path)
    assert caught.value.code == "state_too_new"


def test_a_refresh_sees_what_another_connection_revoked(tmp_path: Path) -> None:
    path = tmp_path / "revocations.db"
    hub, cli = SqliteRevocations.open(path), SqliteRevocations.open(path)
    try:
        assert not hub.refresh()  # nothing written meanwhile: no re-read
        cli.revoke_token("t1", expires_at=NOW + 60)
        assert not hub.is_revoked(jti="t1", subject="a", issued_at=NOW)
        assert hub.refresh()
        assert hub.is_revoked(jti="t1", subject="a", issued_at=NOW)
        assert not hub.refresh()
    finally:
        hub.close()
        cli.close()


def test_the_revocations_file_and_its_journal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "revocations.db"
    revocations = SqliteRevocations.open(path)
    try:
        revocations.revoke_token("t1", expires_at=NOW)
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_mode & 0o777 == 0o600
    finally:
        revocations.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_file_made_readable_by_others_is_made_private_again(tmp_path: Path) -> None:
    path = tmp_path / "revocations.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    SqliteRevocations.open(path).close()
    assert path.stat().st_mode & 0o777 == 0o600
