"""The processes' logs: one JSON object per line, the measurement and agent on the lines
about them, and no token anywhere, in a full run of ``cloudping up`` with a remote agent."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from upprocess import cloudping_argv, free_port, issue_token, read_welcome

from cloudping.settings import scrub
from cloudping.settings.logs import JsonLogFormatter

WAIT_S = 30.0
JWT = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_a_json_line_has_the_time_level_logger_message_and_context() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("cloudping.test.jsonlines")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        extra = {"measurement": "m1", "agent": "fra1", "status": "done"}
        logger.warning("measurement %s ended: %s", "m1", "done", extra=extra)
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert set(line) == {"ts", "level", "logger", "msg", "measurement", "agent", "status"}
    assert line["ts"].endswith("Z")
    assert (line["level"], line["logger"]) == ("WARNING", "cloudping.test.jsonlines")
    assert (line["msg"], line["measurement"], line["agent"]) == (
        "measurement m1 ended: done",
        "m1",
        "fra1",
    )


def test_anything_shaped_like_a_credential_is_scrubbed() -> None:
    text = f"token {JWT}; Authorization: Bearer abc.def; GET /m/x?key=s3cr3t&page=2"
    assert scrub(text) == (
        "token [redacted]; Authorization: Bearer [redacted]; GET /m/x?key=[redacted]&page=2"
    )


@dataclass
class Run:
    """What a full run logged, and every secret it used."""

    hub_lines: list[str]
    agent_lines: list[str]
    secrets: dict[str, str]
    measurement: str


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPING_")}
    return env | extra


def wait_for(check: Any, what: str) -> Any:
    """Poll ``check`` (bounded) until it returns something true."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)  # polling a real process's state, bounded by the deadline
    raise AssertionError(f"no {what} within {WAIT_S:g} s")


def stop(process: subprocess.Popen[Any]) -> None:
    """SIGTERM by PID, bounded; killed if it does not go."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``cloudping up`` (settings from a file: JSON logs, verbose) with a remote agent
    (settings from the environment), a measurement from it, a refused API request and a
    refused agent."""
    root = tmp_path_factory.mktemp("fullrun")
    data_dir = root / "data"
    port, agent_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM)
    url = f"http://127.0.0.1:{port}"
    config = root / "up.toml"
    config.write_text(
        f'data_dir = "{data_dir}"\nlisten = "127.0.0.1:{port}"\nverbose = true\n'
        f'[agent]\nlisten = "127.0.0.1:{agent_port}"\n[log]\nformat = "json"\n',
        encoding="utf-8",
    )
    agent_token = issue_token(data_dir, "lab1", "agent", issuer=url)
    token_file = root / "agent.token"
    token_file.write_text(agent_token + "\n", encoding="utf-8")
    hub_log, agent_log = root / "up.log", root / "agent.log"
    processes: list[subprocess.Popen[Any]] = []
    try:
        with hub_log.open("w") as err:
            up = subprocess.Popen(
                cloudping_argv("up", "--config", str(config)),
                stdout=subprocess.PIPE, stderr=err, text=True, env=child_env(),
            )  # fmt: skip
        processes.append(up)
        welcome, _ = read_welcome(up, WAIT_S)
        admin = next(line for line in welcome if line.startswith("admin token (")).rpartition(" ")[
            2
        ]
        pin = next(line for line in welcome if "--hub-fingerprint" in line).split()[-1]
        agent_env = child_env(
            CLOUDPING_HUB=f"127.0.0.1:{agent_port}",
            CLOUDPING_NAME="lab1",
            CLOUDPING_TOKEN_FILE=str(token_file),
            CLOUDPING_HUB_FINGERPRINT=pin,
            CLOUDPING_SERVE="127.0.0.0/8",
            CLOUDPING_VERBOSE="1",
            CLOUDPING_LOG_FORMAT="json",
        )
        with agent_log.open("w") as err:
            processes.append(subprocess.Popen(cloudping_argv("agent"), stderr=err, env=agent_env))
        # An agent with a token of the wrong audience: refused by the hub.
        impostor = cloudping_argv("agent", "--name", "lab2", "--token", admin)
        impostor_env = agent_env | {"CLOUDPING_NAME": "lab2"}
        processes.append(subprocess.Popen(impostor, stderr=subprocess.DEVNULL, env=impostor_env))
        headers = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=url, timeout=WAIT_S) as client:
            wait_for(
                lambda: any(
                    a["name"] == "lab1" for a in client.get("/api/v1/agents").json()["agents"]
                ),
                "agent lab1",
            )
            wait_for(lambda: "agent 'lab2' refused" in hub_log.read_text(), "refusal of lab2")
            body = {"command": "ping -c 1 -i 0.2 from lab1 127.0.0.1"}
            answer = client.post("/api/v1/measurements", json=body, headers=headers)
            events = [json.loads(line) for line in answer.text.splitlines()]
            refused = client.get(
                "/api/v1/tokens", headers={"Authorization": f"Bearer {agent_token}"}
            )
            assert refused.status_code == 401
        opening = events[0]
        assert opening["type"] == "measurement", events
        assert events[-1]["status"] == "ok", events
    finally:
        for process in reversed(processes):
            stop(process)
    secrets = {"admin": admin, "agent": agent_token}
    if opening.get("read_key"):
        secrets["read_key"] = opening["read_key"]
    return Run(
        hub_log.read_text().splitlines(),
        agent_log.read_text().splitlines(),
        secrets,
        opening["id"],
    )


def records(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def test_every_log_line_of_a_full_run_is_one_json_object(full_run: Run) -> None:
    for line in full_run.hub_lines + full_run.agent_lines:
        record = json.loads(line)
        assert {"ts", "level", "logger", "msg"} <= set(record), line


def test_the_hub_logs_the_measurement_and_the_agents_with_their_ids(full_run: Run) -> None:
    hub = records(full_run.hub_lines)
    mine = [r for r in hub if r.get("measurement") == full_run.measurement]
    assert [r["msg"].split(":")[0] for r in mine] == [
        f"measurement {full_run.measurement} started",
        f"measurement {full_run.measurement} ended",
    ]
    assert mine[0]["agent"] == "lab1"
    assert mine[1]["status"] == "done"
    agents = {(r.get("agent"), r["msg"].split(":")[0].split(" (")[0]) for r in hub}
    assert ("lab1", "agent 'lab1' connected") in agents
    assert ("lab2", "agent 'lab2' refused") in agents
    refusals = [r for r in hub if r["msg"].startswith("GET /api/v1/tokens refused 401 (")]
    assert [r["code"] for r in refusals] == ["token_wrong_audience"]


def test_the_agent_logs_its_jobs_with_the_measurement(full_run: Run) -> None:
    jobs = [r for r in records(full_run.agent_lines) if r.get("job")]
    assert {r["measurement"] for r in jobs} == {full_run.measurement}
    assert [r["msg"].split(":")[1].strip() for r in jobs] == ["ping", "completed"]
    assert jobs[-1]["status"] == "completed"


def test_no_token_or_key_of_a_full_run_is_in_any_log_line(full_run: Run) -> None:
    for line in full_run.hub_lines + full_run.agent_lines:
        for name, secret in full_run.secrets.items():
            assert secret not in line, f"the {name} is logged: {line}"


def test_the_libraries_chatter_stays_out_of_the_verbose_log(full_run: Run) -> None:
    loggers = {r["logger"].partition(".")[0] for r in records(full_run.hub_lines)}
    assert loggers == {"cloudping"}
