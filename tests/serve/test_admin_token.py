"""`cloudping up`'s admin token, as the operator meets it: one per data directory, in a 0600
file, printed once, reused across restarts, replaced when asked or when it no longer holds."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import time
from pathlib import Path

import httpx
from upprocess import UpProcess, cloudping_argv, free_port, start_up, stop

from cloudping.auth import DEFAULT_TTL, data_dir_tokens
from cloudping.serve.admin import ADMIN_TOKEN_FILE, admin_token

TIMEOUT_S = 30.0
PORT = free_port(socket.SOCK_STREAM)


def started(data: Path, *extra: str) -> UpProcess:
    """``cloudping up`` on ``data`` until its welcome, then stopped: its welcome and token.

    The same API port each time: its URL is the tokens' issuer.
    """
    running = start_up(data, *extra, port=PORT)
    assert stop(running) == 0
    return running


def kept_line(up: UpProcess) -> str:
    return next(line for line in up.output if line.startswith("  kept in "))


def listed(data: Path) -> list[dict[str, object]]:
    argv = cloudping_argv("token", "list", "--data-dir", str(data), "--json")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_admin_token_is_printed_once_and_kept_in_a_0600_file(tmp_path: Path) -> None:
    up = started(tmp_path / "data")
    path = tmp_path / "data" / ADMIN_TOKEN_FILE
    assert "\n".join(up.output).count(up.token) == 1
    assert kept_line(up).startswith(f"  kept in {path} (new: none was stored yet)")
    assert path.read_text() == up.token + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_restart_reuses_the_admin_token_and_mints_none(tmp_path: Path) -> None:
    first = started(tmp_path / "data")
    again = started(tmp_path / "data")
    assert again.token == first.token
    assert kept_line(again).endswith("; replace: --new-admin-token")
    assert "(reused)" in kept_line(again)
    records = listed(tmp_path / "data")
    assert [(r["label"], r["state"]) for r in records] == [("cloudping up", "active")]


def test_new_admin_token_replaces_it_and_the_old_one_is_refused(tmp_path: Path) -> None:
    old = started(tmp_path / "data")
    up = start_up(tmp_path / "data", "--new-admin-token", port=PORT)
    try:
        refused = httpx.get(
            f"{up.url}/api/v1/tokens",
            headers={"Authorization": f"Bearer {old.token}"},
            timeout=TIMEOUT_S,
        )
    finally:
        stop(up)
    assert up.token != old.token
    assert "(new: asked for with --new-admin-token; the old one is revoked)" in kept_line(up)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"


def test_a_revoked_admin_token_is_replaced_at_the_next_start_and_the_banner_says_why(
    tmp_path: Path,
) -> None:
    old = started(tmp_path / "data")
    # The revoke command the banner prints, as printed.
    revoke = kept_line(old).split("; revoke: ", 1)[1].split("; replace:", 1)[0]
    done = subprocess.run(
        ["bash", "-c", revoke], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert done.returncode == 0, done.stderr
    up = started(tmp_path / "data")
    assert up.token != old.token
    assert "(new: the stored one no longer holds: the token has been revoked)" in kept_line(up)


def test_an_expired_admin_token_is_replaced(tmp_path: Path) -> None:
    with data_dir_tokens(tmp_path, "http://127.0.0.1:8080") as tokens:
        first = admin_token(tokens, tmp_path, time.time(), renew=False)
        later = admin_token(tokens, tmp_path, time.time() + DEFAULT_TTL + 60, renew=False)
    assert later.token != first.token
    assert later.made_because == "the stored one no longer holds: the token has expired"
    assert (tmp_path / ADMIN_TOKEN_FILE).read_text().strip() == later.token
