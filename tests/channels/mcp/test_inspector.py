"""A real third-party MCP client, the MCP Inspector CLI, against ``cloudping up`` in the lab.

``cloudping up --serve`` (the lab ranges) runs in the agent namespace with its API and
``/mcp`` on that namespace's loopback; unbound serves the zone ``lab.`` on the target (UDP/TCP
53, DoT, DoH). The Inspector (npm ``@modelcontextprotocol/inspector``, pinned, on Node 22;
``scripts/setup`` installs both into ``tools/mcp-inspector``) runs in the same namespace, so
every packet stays on that loopback or inside the lab. Without the Inspector the tests skip
with the reason; they use the lab fixture, so in CI that skip is a failure (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from lab import Lab
from lab.pki import LabPki
from lab.unbound import LAB_HOSTS, lab_server
from upprocess import START_TIMEOUT_S, issue_token, read_welcome

from cloudping.commands import json_schema

from .test_tools import TOOLS

TOOLS_DIR = Path(__file__).parents[3] / "tools" / "mcp-inspector" / "node_modules" / ".bin"
INSPECTOR_TIMEOUT_S = 60.0  # one Inspector run: Node start-up, a session, one request
LISTEN = "127.0.0.1:18080"  # the agent namespace's own loopback: nothing else listens there
AGENT_LISTEN = "127.0.0.1:18443"
INSPECT_WITH_STDIN_BEARER = (
    'read -r token && exec mcp-inspector --cli "$@" --header "Authorization: Bearer $token"'
)
SERVED = "198.18.0.0/15,2001:db8::/32"
Json = dict[str, Any]


@dataclass(frozen=True)
class Hub:
    """``cloudping up`` in the agent namespace: where its MCP is and its admin token."""

    lab: Lab
    url: str
    token: str
    home: Path  # the Inspector's HOME: it keeps state in ~/.mcp-inspector
    bin_dir: Path


def inspector_bin() -> Path:
    """The folder holding ``mcp-inspector`` and Node 22; skip (a failure in CI) without it."""
    if not (TOOLS_DIR / "mcp-inspector").exists() or not (TOOLS_DIR / "node").exists():
        pytest.skip(f"the MCP Inspector is not installed in {TOOLS_DIR} (run scripts/setup)")
    return TOOLS_DIR


@pytest.fixture(scope="module")
def hub(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    bin_dir = inspector_bin()
    directory = tmp_path_factory.mktemp("inspector")
    targets = [lab.addr("target", 4), lab.addr("target", 6)]
    unbound = lab_server(lab, directory / "unbound", LabPki(directory / "pki"), targets).start()
    try:
        argv = [sys.executable, "-m", "cloudping", "up", "--data-dir", str(directory / "data")]
        argv += ["--listen", LISTEN, "--agent-listen", AGENT_LISTEN, "--serve", SERVED]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPING_")}
        up = lab.popen("agent", argv, stdout=subprocess.PIPE, text=True, env=env)
        try:
            read_welcome(up, START_TIMEOUT_S)
            data, issuer = directory / "data", f"http://{LISTEN}"
            # Just what the tests need, not the admin token `up` prints.
            token = issue_token(data, "inspector", "api", "measure", "private", issuer=issuer)
            (directory / "home").mkdir()
            yield Hub(lab, f"http://{LISTEN}/mcp", token, directory / "home", bin_dir)
        finally:
            lab.stop(up)
    finally:
        unbound.stop()


def inspect(hub: Hub, *method: str) -> Json:
    """Run the Inspector CLI in the hub's namespace; its JSON answer's ``result``."""
    env = [f"PATH={hub.bin_dir}:{os.environ['PATH']}", f"HOME={hub.home}"]  # Node 22 first
    # The token goes in on stdin, so it is in no command line a failure message could show
    # (the Inspector itself takes headers only as arguments).
    argv = ["env", *env, "sh", "-c", INSPECT_WITH_STDIN_BEARER, "sh", "--transport", "http"]
    argv += ["--server-url", hub.url, "--format", "json", *method]
    done = hub.lab.run(
        "agent", argv, timeout=INSPECTOR_TIMEOUT_S, check=False, input=f"{hub.token}\n"
    )
    assert done.returncode == 0, f"mcp-inspector {' '.join(method)}: {done.stderr}{done.stdout}"
    result: Json = json.loads(done.stdout)["result"]
    return result


def call(hub: Hub, tool: str, **arguments: object) -> Json:
    """``tools/call``: each argument as ``--tool-arg name=JSON`` (the CLI parses the JSON)."""
    pairs = [f"{name}={json.dumps(value)}" for name, value in arguments.items()]
    result = inspect(hub, "--method", "tools/call", "--tool-name", tool, "--tool-arg", *pairs)
    assert result.get("isError") is not True, result["content"]
    structured: Json = result["structuredContent"]
    assert json.loads(result["content"][0]["text"]) == structured
    return structured


def test_the_inspector_lists_every_tool_and_pings_schema_is_the_grammars(hub: Hub) -> None:
    tools = {tool["name"]: tool for tool in inspect(hub, "--method", "tools/list")["tools"]}
    assert sorted(tools) == sorted(TOOLS)
    schema = tools["ping"]["inputSchema"]
    grammar = json_schema("ping")["properties"]
    assert set(schema["properties"]) == set(grammar) - {"command"}
    assert schema["required"] == ["targets"]
    for field in ("count", "interval", "timeout", "ttl", "size"):
        for bound in ("minimum", "maximum"):
            assert schema["properties"][field][bound] == grammar[field][bound], (field, bound)
    assert schema["properties"]["proto"]["enum"] == ["icmp", "udp", "tcp"]
    assert all(tool["outputSchema"]["type"] == "object" for tool in tools.values())


def test_the_inspector_pings_the_lab_target_on_both_families(hub: Hub) -> None:
    targets = [hub.lab.addr("target", 4), hub.lab.addr("target", 6)]
    result = call(hub, "ping", targets=targets, count=2, interval=0.2)
    assert result["status"] == "ok"
    assert result["command"] == f"ping -c 2 -i 0.2 {' '.join(targets)}"
    jobs = {job["target"]: job for job in result["results"]}
    assert sorted(jobs) == sorted(targets)
    for job in jobs.values():
        assert (job["agent"], job["verdict"]) == ("local", "answered")
        assert (job["ping"]["sent"], job["ping"]["received"], job["ping"]["loss"]) == (2, 2, 0)
        assert 0 < job["ping"]["rtt"]["min_ms"] <= job["ping"]["rtt"]["max_ms"] < 1000


def test_the_inspector_asks_the_lab_resolver_for_a_lab_name(hub: Hub) -> None:
    server = hub.lab.addr("target", 4)
    result = call(hub, "dns", names=["www.lab"], type="AAAA", server=server)
    [job] = result["results"]
    assert (job["agent"], job["target"], job["verdict"]) == ("local", "www.lab", "answered")
    [answer] = job["dns"]
    assert (answer["server"], answer["transport"], answer["rcode"]) == (
        f"{server}:53",
        "udp",
        "NOERROR",
    )
    assert answer["answers"] == [f"www.lab. 300 AAAA {LAB_HOSTS['target.lab.'][1]}"]
