"""``cloudping up`` as a user starts it: the API, guests on loopback, the admin token, SIGTERM."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from upprocess import UpProcess, free_port, start_up, stop

from cloudping.main import main
from cloudping.serve.datadir import default_data_dir

LOOPBACK_PING = {"command": "ping -c 2 -i 0.2 127.0.0.1"}
HTTP_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    """One ``cloudping up --serve 127.0.0.0/8`` (and a WebSocket door) for this module."""
    ws = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
    data = tmp_path_factory.mktemp("up") / "data"
    running = start_up(data, "--serve", "127.0.0.0/8", "--agent-ws-listen", ws)
    try:
        yield running
    finally:
        stop(running)


def measure(up: UpProcess, body: dict[str, Any], token: str | None) -> list[dict[str, Any]]:
    """``POST /api/v1/measurements`` and its NDJSON events."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{up.url}/api/v1/measurements", json=body, headers=headers, timeout=HTTP_TIMEOUT_S
    )
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_up_prints_the_api_the_admin_token_and_the_agent_line(up: UpProcess) -> None:
    text = "\n".join(up.output)
    assert f"HTTP API: {up.url}/api/v1" in text
    assert f"MCP: {up.url}/mcp " in text
    assert up.token.count(".") == 2  # a JWT
    assert f"--hub {up.url} --token {up.token}" in text
    assert "cloudping agent --hub 127.0.0.1:" in text
    assert "--hub-fingerprint " in text
    assert "where UDP is blocked: --hub wss://127.0.0.1:" in text


def test_the_printed_curl_line_sends_json_which_the_api_requires(up: UpProcess) -> None:
    assert """--json '{"command": "ping -c 3 example.com"}'""" in "\n".join(up.output)
    # The same line with a loopback target, by curl itself; curl -d (a form) is refused.
    url = f"{up.url}/api/v1/measurements"
    auth = ["-H", f"Authorization: Bearer {up.token}"]
    body = json.dumps(LOOPBACK_PING)
    sent = subprocess.run(
        ["curl", "-sS", "-N", *auth, "--json", body, url],
        capture_output=True,
        timeout=HTTP_TIMEOUT_S,
        check=True,
        text=True,
    )
    form = subprocess.run(
        ["curl", "-sS", *auth, "-w", "\n%{http_code}", "-d", body, url],
        capture_output=True,
        timeout=HTTP_TIMEOUT_S,
        check=True,
        text=True,
    )
    events = [json.loads(line) for line in sent.stdout.splitlines()]
    assert [events[0]["type"], events[-1]["type"]] == ["measurement", "end"]
    assert form.stdout.splitlines()[-1] == "415"


def test_healthz_answers(up: UpProcess) -> None:
    response = httpx.get(f"{up.url}/healthz", timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 200


def test_the_admin_token_may_ping_the_served_loopback(up: UpProcess) -> None:
    events = measure(up, LOOPBACK_PING, up.token)
    types = [event["type"] for event in events]
    assert types[0] == "measurement"
    assert types[-1] == "end"
    assert types.count("reply") == 2
    assert {event["agent"] for event in events if event["type"] == "reply"} == {"local"}


def test_a_guest_is_refused_loopback_without_the_private_scope(up: UpProcess) -> None:
    events = measure(up, LOOPBACK_PING, None)
    errors = [event for event in events if event["type"] == "error"]
    assert [(error["code"], error["rule"]) for error in errors] == [("policy_denied", "scope")]
    assert "only to tokens with the `private` scope" in errors[0]["message"]
    assert events[-1]["type"] == "end"


def test_a_private_token_is_told_which_option_serves_a_range_the_agent_does_not(
    up: UpProcess,
) -> None:
    # Refused before any packet leaves: 198.18.0.1 is a lab address nobody serves here.
    events = measure(up, {"command": "ping -c 1 198.18.0.1"}, up.token)
    errors = [event for event in events if event["type"] == "error"]
    assert [(error["code"], error["rule"]) for error in errors] == [("policy_denied", "not_served")]
    assert (
        "this agent serves 127.0.0.0/8; an agent started with `--serve 198.18.0.0/15`"
        in (errors[0]["message"])
    )


def test_sigterm_stops_up_with_exit_0(tmp_path: Path) -> None:
    running = start_up(tmp_path / "data")
    assert stop(running, timeout=10.0) == 0


def test_the_data_dir_defaults_to_the_users_data_home() -> None:
    assert default_data_dir({"XDG_DATA_HOME": "/x/data"}) == Path("/x/data/cloudping")
    assert default_data_dir({}) == Path.home() / ".local" / "share" / "cloudping"


def test_a_bad_serve_range_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", "--serve", "10.1.0.0/8"]) == 2
    assert "--serve" in capsys.readouterr().err
