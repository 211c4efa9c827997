"""The CLI through a hub (``--hub URL --token T``): the same output and exit status as a
local run, the API's refusals as ``cloudping: message`` with exit 2, the token never shown."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator

import jsonschema
import pytest
from upprocess import UpProcess, cloudping_argv, free_port, start_up, stop

from cloudping import __version__
from cloudping.events import published_schema

RUN_TIMEOUT_S = 60.0
PING = ["ping", "-c", "2", "-i", "0.2"]
BAD_TOKEN = "not-a-jwt-at-all"  # noqa: S105 (a deliberately bad token)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    """One ``cloudping up --serve 127.0.0.0/8`` for this module's tests."""
    running = start_up(tmp_path_factory.mktemp("up") / "data", "--serve", "127.0.0.0/8")
    try:
        yield running
    finally:
        stop(running)


def cli(*words: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``cloudping`` CLI to its end (bounded)."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDPING_")}
    return subprocess.run(
        cloudping_argv(*words),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env=clean | (env or {}),
        check=False,
    )


def test_ping_through_the_hub_prints_iputils_text_and_exits_0(up: UpProcess) -> None:
    done = cli(*PING, "--hub", up.url, "--token", up.token, "127.0.0.1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.")
    assert len([line for line in lines if re.match(r"64 bytes from 127\.0\.0\.1: ", line)]) == 2
    assert "--- 127.0.0.1 ping statistics ---" in lines
    assert any(
        line.startswith("2 packets transmitted, 2 received, 0% packet loss") for line in lines
    )
    assert up.token not in done.stdout + done.stderr


def test_json_through_the_hub_validates_against_the_published_schema(up: UpProcess) -> None:
    env = {"CLOUDPING_HUB": up.url, "CLOUDPING_TOKEN": up.token}
    done = cli("--json", *PING, "127.0.0.1", env=env)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    validator = jsonschema.Draft202012Validator(published_schema())
    for event in events:
        validator.validate(event)
    types = [event["type"] for event in events]
    assert types[0] == "measurement"
    assert types[-1] == "end"
    assert types.count("reply") == 2


def test_a_guest_through_the_hub_is_refused_loopback_with_exit_2(up: UpProcess) -> None:
    done = cli(*PING, "--hub", up.url, "127.0.0.1")
    assert done.returncode == 2
    assert "loopback" in done.stderr


def test_a_bad_token_is_the_apis_message_with_exit_2(up: UpProcess) -> None:
    done = cli(*PING, "--hub", up.url, "--token", BAD_TOKEN, "127.0.0.1")
    assert done.returncode == 2
    assert done.stderr.startswith("cloudping: ")
    assert "JWT" in done.stderr  # the API's own words
    assert BAD_TOKEN not in done.stdout + done.stderr


def test_an_unreachable_hub_is_named_with_the_reason() -> None:
    url = f"http://127.0.0.1:{free_port(socket.SOCK_STREAM)}"
    done = cli(*PING, "--hub", url, "--token", BAD_TOKEN, "127.0.0.1")
    assert done.returncode == 2
    assert f"cannot reach the hub at {url}: " in done.stderr
    assert BAD_TOKEN not in done.stderr


def test_list_through_the_hub_prints_its_agents_as_a_table(up: UpProcess) -> None:
    done = cli("list", "--hub", up.url, "--token", up.token)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split() == ["NAME", "COUNTRY", "CITY", "ASN", "NETWORK", "TAGS"]
    assert [row.split()[0] for row in rows] == ["local"]


def test_version_json_through_the_hub_names_the_hub_and_each_agent(up: UpProcess) -> None:
    done = cli("--json", "version", "--hub", up.url, "--token", up.token)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["command"] == "version"
    assert answer["hub"] == __version__
    assert [agent["name"] for agent in answer["agents"]] == ["local"]
    assert answer["agents"][0]["software"] == f"cloudping/{__version__}"


def test_list_without_a_hub_says_it_needs_one() -> None:
    done = cli("list")
    assert done.returncode == 2
    assert "--hub" in done.stderr
