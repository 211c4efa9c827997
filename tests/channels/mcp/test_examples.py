"""The MCP client examples point at a hub's /mcp with a token, and the Python one works."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from .test_http import WAIT, running_hub

pytestmark = pytest.mark.anyio
EXAMPLES = Path(__file__).parents[3] / "examples" / "mcp"
URL = "http://127.0.0.1:8080/mcp"
INSPECTOR = Path(__file__).parents[3] / "tools/mcp-inspector/node_modules/.bin/mcp-inspector"
INSPECTOR_WAIT = 90.0  # three Inspector runs: Node start-up, a session and one request each


def without_proxies() -> dict[str, str]:
    """This environment with no ``*_proxy`` variable, and ``NO_PROXY=*``: the child talks
    to the hub on loopback directly, whatever proxy the caller's shell names."""
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    return env | {"NO_PROXY": "*"}


def test_the_desktop_client_config_bridges_to_the_hub_with_a_bearer_token() -> None:
    config = json.loads((EXAMPLES / "claude_desktop_config.json").read_text())
    server = config["mcpServers"]["cloudping"]
    assert URL in server["args"]
    assert server["env"]["CLOUDPING_AUTH"] == "Bearer YOUR_CLOUDPING_TOKEN"


def test_the_editor_config_speaks_http_with_a_bearer_token() -> None:
    config = json.loads((EXAMPLES / "vscode_mcp.json").read_text())
    server = config["servers"]["cloudping"]
    assert (server["type"], server["url"]) == ("http", URL)
    assert server["headers"]["Authorization"].startswith("Bearer ${input:")


@pytest.mark.parametrize("script", ["claude_code.sh", "inspector.sh"])
def test_the_shell_examples_use_the_hub_url_and_token(script: str) -> None:
    text = (EXAMPLES / script).read_text()
    assert '"$hub/mcp"' in text
    assert "Authorization: Bearer $token" in text


async def run_example(
    argv: list[str], env: dict[str, str], wait: float = INSPECTOR_WAIT
) -> tuple[int, str, str]:
    """Run an example to its end (bounded); its exit status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(wait):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:  # timed out or cancelled: it must not outlive us
            process.kill()
            async with asyncio.timeout(WAIT):
                await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def inspector_installed() -> None:
    if not INSPECTOR.exists():
        pytest.skip(f"the MCP Inspector is not installed at {INSPECTOR} (run scripts/setup)")


async def test_the_inspector_example_lists_tools_and_pings_loopback(tmp_path: Path) -> None:
    inspector_installed()
    async with running_hub(tmp_path) as hub:
        token = hub.token("measure", "private")
        env = without_proxies() | {"CLOUDPING_HUB": hub.base, "CLOUDPING_TOKEN": token}
        status, out, err = await run_example([str(EXAMPLES / "inspector.sh")], env)
    assert status == 0, err
    listed, pinged, agents = (json.loads(line)["result"] for line in out.splitlines())
    assert "ping" in [tool["name"] for tool in listed["tools"]]
    assert pinged["structuredContent"]["results"][0]["verdict"] == "answered"  # 127.0.0.1
    assert agents["structuredContent"]["selectors"] == ["local"]


async def test_the_inspector_example_says_bad_token_for_a_bad_token(tmp_path: Path) -> None:
    inspector_installed()
    async with running_hub(tmp_path) as hub:
        env = without_proxies() | {"CLOUDPING_HUB": hub.base, "CLOUDPING_TOKEN": "not-a-token"}
        status, _, err = await run_example([str(EXAMPLES / "inspector.sh")], env)
    assert status == 2
    assert "bad token" in err
    assert "OAuth" not in err


async def test_the_python_client_example_calls_a_tool_of_a_running_hub(tmp_path: Path) -> None:
    arguments = json.dumps({"targets": ["127.0.0.1"], "count": 1})
    async with running_hub(tmp_path) as hub:
        token = hub.token("measure", "private")
        env = without_proxies() | {"CLOUDPING_HUB": hub.base, "CLOUDPING_TOKEN": token}
        argv = [sys.executable, str(EXAMPLES / "mcp_client.py"), "ping", arguments]
        status, out, err = await run_example(argv, env, WAIT)
    assert status == 0, err
    result = json.loads(out)
    assert result["results"][0]["verdict"] == "answered"
    assert "started on local" in err  # progress, on stderr
