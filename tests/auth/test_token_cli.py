"""`cloudping token issue`: a token signed with the data directory's key, printed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloudping.auth import DEFAULT_ISSUER, KeyDirectory, TokenService
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


def test_the_grammars_own_token_command_still_parses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--help"]) == 0
    assert "usage: token" in capsys.readouterr().out
