"""`cloudping token issue|list|revoke`: tokens signed with the data directory's key, printed,
recorded in its registry, listed and revoked."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from cloudping.auth import DEFAULT_ISSUER, AuthError, KeyDirectory, TokenService, data_dir_tokens
from cloudping.main import main


def issue(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    status = main(["token", "issue", *words])
    out, err = capsys.readouterr()
    return status, out, err


def test_token_issue_prints_a_token_that_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    status, out, _ = issue(
        capsys, "--data-dir", data, "--sub", "fra1", "--aud", "agent", "--scope", "measure"
    )
    assert status == 0
    service = TokenService(KeyDirectory.in_data_dir(data).load(), issuer=DEFAULT_ISSUER)
    principal = service.verify(out.strip(), "agent", time.time())
    assert (principal.subject, principal.audience) == ("fra1", "agent")
    assert principal.scopes == {"measure"}


def test_token_issue_takes_ttl_and_issuer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = ["--data-dir", str(tmp_path), "--sub", "ops", "--aud", "api", "--ttl", "60"]
    status, out, _ = issue(capsys, *words, "--scope", "admin", "--issuer", "https://hub.example")
    assert status == 0
    service = TokenService(KeyDirectory.in_data_dir(tmp_path).load(), issuer="https://hub.example")
    principal = service.verify(out.strip(), "api", time.time())
    assert principal.expires_at - principal.issued_at == 60
    assert principal.scopes == {"admin"}


@pytest.mark.parametrize(
    "bad",
    [["--aud", "web"], ["--aud", "api", "--scope", "root"], ["--aud", "api", "--ttl", "0"]],
)
def test_token_issue_refuses_bad_arguments_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: list[str]
) -> None:
    status, out, err = issue(capsys, "--data-dir", str(tmp_path), "--sub", "x", *bad)
    assert status == 2
    assert not out
    assert err


@pytest.mark.parametrize("argv", [["token"], ["token", "--help"], ["help", "token"]])
def test_token_alone_or_its_help_shows_the_operators_actions(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: cloudping token")
    for action in ("issue", "list", "revoke"):
        assert f"\n    {action} " in out


def test_scopes_may_be_joined_by_commas_or_repeated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = [
        "--data-dir",
        str(tmp_path),
        "--sub",
        "al",
        "--aud",
        "api",
        "--scope",
        "measure,private",
    ]
    status, out, _ = issue(capsys, *words, "--scope", "admin")
    assert status == 0
    service = TokenService(KeyDirectory.in_data_dir(tmp_path).load(), issuer=DEFAULT_ISSUER)
    assert service.verify(out.strip(), "api", time.time()).scopes == {"measure", "private", "admin"}


def test_an_unknown_scope_in_a_list_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = ["--data-dir", str(tmp_path), "--sub", "al", "--aud", "api", "--scope", "measure,root"]
    status, out, err = issue(capsys, *words)
    assert (status, out) == (2, "")
    assert "unknown scope 'root'" in err


def listed(capsys: pytest.CaptureFixture[str], data: Path) -> list[dict[str, Any]]:
    assert main(["token", "list", "--data-dir", str(data), "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_token_list_shows_issued_tokens_without_the_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = ["--data-dir", str(tmp_path), "--sub", "fra1", "--aud", "agent", "--label", "box"]
    _, secret, _ = issue(capsys, *words)
    (record,) = listed(capsys, tmp_path)
    assert record["subject"] == "fra1"
    assert (record["audience"], record["label"], record["state"]) == ("agent", "box", "active")
    assert main(["token", "list", "--data-dir", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == [
        "ID",
        "SUBJECT",
        "AUDIENCE",
        "SCOPES",
        "EXPIRES",
        "(UTC)",
        "LABEL",
        "STATE",
    ]
    assert record["id"] in table
    assert "active" in table
    assert secret.strip() not in table


def test_token_revoke_by_id_or_by_the_token_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--data-dir", str(tmp_path), "--aud", "api"]
    _, first, _ = issue(capsys, *base, "--sub", "a")
    _, second, _ = issue(capsys, *base, "--sub", "b")
    ids = {record["subject"]: record["id"] for record in listed(capsys, tmp_path)}
    assert main(["token", "revoke", ids["a"], "--data-dir", str(tmp_path)]) == 0
    assert main(["token", "revoke", second.strip(), "--data-dir", str(tmp_path)]) == 0
    assert "revoked token" in capsys.readouterr().out
    assert [record["state"] for record in listed(capsys, tmp_path)] == ["revoked", "revoked"]
    with data_dir_tokens(tmp_path, DEFAULT_ISSUER) as hub_side:
        for secret in (first, second):
            with pytest.raises(AuthError) as caught:
                hub_side.verify(secret.strip(), "api", time.time())
            assert caught.value.code == "token_revoked"


def test_token_revoke_refuses_an_unknown_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["token", "revoke", "nope", "--data-dir", str(tmp_path)])
    assert status == 2
    assert "no token 'nope'" in capsys.readouterr().err


def test_a_new_data_directory_and_its_token_files_are_private(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    status, _, _ = issue(capsys, "--data-dir", str(data), "--sub", "fra1", "--aud", "agent")
    assert status == 0
    assert data.stat().st_mode & 0o777 == 0o700
    for name in ("tokens.db", "revocations.db"):
        assert (data / name).stat().st_mode & 0o777 == 0o600


def test_issue_list_and_revoke_default_to_the_data_directory_of_cloudping_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    status, _, _ = issue(capsys, "--sub", "fra1", "--aud", "agent")
    assert status == 0
    assert (tmp_path / "cloudping" / "tokens.db").is_file()
    assert main(["token", "list", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert main(["token", "revoke", json.loads(line)["id"]]) == 0
