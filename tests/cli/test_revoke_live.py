"""`cloudping token revoke` in another process reaches a running `cloudping up` within a
second, without a restart."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
from upprocess import cloudping_argv, issue_token, start_up, stop

HTTP_TIMEOUT_S = 30.0
SEEN_WITHIN_S = 1.0
POLL_S = 0.02  # between two tries of the revoked token: a bounded wait for the refusal


def test_a_revoked_token_is_refused_by_the_running_hub_within_a_second(tmp_path: Path) -> None:
    data = tmp_path / "data"
    up = start_up(data)
    try:
        token = issue_token(data, "carol", "api", "measure", issuer=up.url)
        url = f"{up.url}/api/v1/tokens"
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(url, headers=headers, timeout=HTTP_TIMEOUT_S).status_code == 200
        admin = {"Authorization": f"Bearer {up.token}"}
        listed = httpx.get(url, headers=admin, timeout=HTTP_TIMEOUT_S).json()["tokens"]
        revoke = cloudping_argv(
            "token", "revoke", token, "--data-dir", str(data), "--issuer", up.url
        )
        subprocess.run(revoke, capture_output=True, text=True, timeout=60, check=True)
        revoked_at = time.monotonic()
        while (
            status := httpx.get(url, headers=headers, timeout=HTTP_TIMEOUT_S).status_code
        ) == 200:
            assert time.monotonic() - revoked_at < SEEN_WITHIN_S, "still accepted after 1 s"
            time.sleep(POLL_S)
        assert status == 401
    finally:
        stop(up)
    assert [token["label"] for token in listed] == ["cloudping up"]  # its admin token, recorded
