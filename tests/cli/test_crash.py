"""A hub killed with SIGKILL mid-measurement, restarted on the same data directory: the
measurement reads back ``interrupted`` with its events, and following it ends."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import httpx
from upprocess import UpProcess, start_up, stop

LONG_PING = "ping -c 100 -i 0.2 127.0.0.1"  # 20 s: far longer than the test
HTTP_TIMEOUT_S = 30.0


def auth(up: UpProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {up.token}"}


def first_reply_followed(up: UpProcess, measurement_id: str) -> None:
    """Follow the measurement until its first reply is stored (bounded by the timeout)."""
    url = f"{up.url}/api/v1/measurements/{measurement_id}/events"
    with httpx.stream("GET", url, headers=auth(up), timeout=HTTP_TIMEOUT_S) as response:
        for line in response.iter_lines():
            if line and json.loads(line)["type"] == "reply":
                return
    raise AssertionError("the follow ended before any reply")


def followed(up: UpProcess, measurement_id: str) -> list[dict[str, Any]]:
    url = f"{up.url}/api/v1/measurements/{measurement_id}/events"
    response = httpx.get(url, headers=auth(up), timeout=HTTP_TIMEOUT_S)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line]


def test_a_measurement_left_by_a_killed_hub_reads_back_interrupted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_up(data, "--serve", "127.0.0.0/8")
    try:
        body = {"command": LONG_PING, "background": True}
        started = httpx.post(
            f"{first.url}/api/v1/measurements", json=body, headers=auth(first), timeout=30
        )
        assert started.status_code == 202, started.text
        measurement_id = started.json()["id"]
        first_reply_followed(first, measurement_id)
        first.process.send_signal(signal.SIGKILL)
    finally:
        assert stop(first) == -signal.SIGKILL
    second = start_up(data, "--serve", "127.0.0.0/8")
    try:
        stored = httpx.get(
            f"{second.url}/api/v1/measurements/{measurement_id}", headers=auth(second), timeout=30
        ).json()
        events = followed(second, measurement_id)
    finally:
        stop(second)
    assert stored["status"] == "interrupted"
    assert stored["ended_at"] is not None
    types = [event["type"] for event in stored["events"]]
    assert types[0] == "measurement"
    assert "reply" in types
    assert types[-1] == "end"
    assert stored["events"][-1]["status"] == "interrupted"
    assert events == stored["events"]  # the follower got everything, then its stream ended
