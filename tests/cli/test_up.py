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
    """One ``cloudping up`` on its defaults (and a WebSocket door) for this module."""
    ws = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
    data = tmp_path_factory.mktemp("up") / "data"
    running = start_up(data, "--agent-ws-listen", ws)
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


def tried(up: UpProcess) -> list[str]:
    """The commands under "Try:" in the welcome, backslash-continued lines joined."""
    text = "\n".join(up.output)
    block = text.split("Try:\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.replace("\\\n", " ").splitlines()]


def test_up_prints_the_api_the_admin_token_and_the_agent_line(up: UpProcess) -> None:
    text = "\n".join(up.output)
    assert f"web page: {up.url}/ (open it in a browser)" in text
    assert f"HTTP API: {up.url}/api/v1" in text
    assert f"MCP: {up.url}/mcp " in text
    assert up.token.count(".") == 2  # a JWT
    assert "local agent serves: 127.0.0.0/8, ::1/128 (to tokens with the private scope" in text
    assert "cloudping agent --hub 127.0.0.1:" in text
    assert "--hub-fingerprint " in text
    assert "where UDP is blocked: --hub wss://127.0.0.1:" in text


def test_the_welcome_lines_run_as_printed_against_loopback(up: UpProcess) -> None:
    curl, ping = tried(up)
    assert curl.startswith("curl -N ")
    assert """--json '{"command": "ping -c 3 127.0.0.1"}'""" in curl
    sent = subprocess.run(
        ["bash", "-c", curl], capture_output=True, timeout=HTTP_TIMEOUT_S, check=True, text=True
    )
    events = [json.loads(line) for line in sent.stdout.splitlines()]
    assert [events[0]["type"], events[-1]["type"]] == ["measurement", "end"]
    assert [event["type"] for event in events].count("reply") == 3
    pinged = subprocess.run(
        ["bash", "-c", ping], capture_output=True, timeout=HTTP_TIMEOUT_S, check=False, text=True
    )
    assert pinged.returncode == 0, pinged.stderr
    assert "3 packets transmitted, 3 received" in pinged.stdout


def test_the_curl_line_must_send_json(up: UpProcess) -> None:
    url = f"{up.url}/api/v1/measurements"
    auth = ["-H", f"Authorization: Bearer {up.token}"]
    form = subprocess.run(
        ["curl", "-sS", *auth, "-w", "\n%{http_code}", "-d", json.dumps(LOOPBACK_PING), url],
        capture_output=True,
        timeout=HTTP_TIMEOUT_S,
        check=True,
        text=True,
    )
    assert form.stdout.splitlines()[-1] == "415"


def test_the_admin_token_may_sweep_loopback_and_a_guest_may_not(up: UpProcess) -> None:
    scan = {"command": "scan 127.0.0.0/30"}
    alive = [e["address"] for e in measure(up, scan, up.token) if e["type"] == "scan"]
    refused = [e["code"] for e in measure(up, scan, None) if e["type"] == "error"]
    assert alive == ["127.0.0.0", "127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert refused == ["policy_denied"]


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
        "this agent serves 127.0.0.0/8, ::1/128; an agent started with `--serve 198.18.0.0/15`"
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


def test_the_root_url_is_a_json_index_otherwise(up: UpProcess) -> None:
    response = httpx.get(f"{up.url}/", timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 200
    assert response.json()["links"] == {
        "openapi": "/api/v1/openapi.json",
        "agents": "/api/v1/agents",
        "measurements": "/api/v1/measurements",
        "healthz": "/healthz",
        "mcp": "/mcp",
    }


def test_the_root_url_is_behind_the_host_rule(up: UpProcess) -> None:
    foreign = {"Host": "attacker.example", "Accept": "text/html"}
    response = httpx.get(f"{up.url}/", headers=foreign, timeout=HTTP_TIMEOUT_S)
    assert response.status_code >= 400
    assert "<h1>cloudping</h1>" not in response.text


def test_the_openapi_document_lists_the_root_health_ping_and_agents(up: UpProcess) -> None:
    paths = httpx.get(f"{up.url}/api/v1/openapi.json", timeout=HTTP_TIMEOUT_S).json()["paths"]
    assert {"/", "/healthz", "/ping", "/api/v1/agents"} <= set(paths)
    assert all("get" in paths[path] for path in ("/", "/healthz", "/ping", "/api/v1/agents"))
