"""Start-up of the one-shot CLI: a command loads only what it uses.

Each case runs the CLI in a fresh interpreter and reads which modules it imported; no time
is asserted (that is the benchmarks' job), only that the heavy libraries of the hub, the
API, MCP, QUIC, the HTTP and DNS probes and the pictures stay out of a local run, that help
loads no probe, and that the operator's token tool loads no grammar.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from cloudping.runner.remote import tls_verify

RUN_TIMEOUT_S = 60.0
# Libraries only the hub, the API, MCP, agents, tokens, HTTP/DNS probes or pictures need.
HEAVY = (
    "aioquic",
    "anyio",
    "cryptography",
    "dns",
    "httpcore",
    "httpx",
    "httpx2",
    "jwt",
    "mcp",
    "PIL",
    "sqlite3",
    "starlette",
    "uvicorn",
    "cloudping.agent",
    "cloudping.auth",
    "cloudping.channels.api",
    "cloudping.channels.mcp",
    "cloudping.hub",
    "cloudping.serve",
    "cloudping.service",
    "cloudping.store",
    "cloudping.transport",
    "cloudping.wire",
)
# What running a command needs (asyncio, events, renderers, probes) and help does not.
RUNTIME = (
    "cloudping.channels.cli.measure",
    "cloudping.events",
    "cloudping.measurement",
    "cloudping.probes",
)

# What only other commands, or other ways of pinging, run: an ICMP ping does without them.
OTHER_PROBES = (
    "cloudping.ipinfo",
    "cloudping.probes.dns",
    "cloudping.probes.http",
    "cloudping.probes.path.mtr",
    "cloudping.probes.path.traceroute",
    "cloudping.probes.port",
    "cloudping.probes.scan",
    "cloudping.render.picture.canvas",
    "cloudping.render.reports",
    "cloudping.runner.remote",
)
# The grammar's models and table, which the overview (`cloudping --help`) does without.
GRAMMAR = ("cloudping.commands.model", "cloudping.commands.spec", "cloudping.commands.table")

# Runs the CLI in a fresh interpreter, then prints its exit status and loaded modules as JSON.
SCRIPT = """
import contextlib, io, json, sys
{stub}
from cloudping.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    status = main({argv!r})
print(json.dumps({{"status": status, "modules": sorted(sys.modules)}}))
"""
# The probe's module loads as a run loads it, but the probe never runs: no packet is sent.
STUB_PROBE = """
import cloudping.measurement as measurement
real_probe_for = measurement.probe_for

async def not_run(cmd, env, emit):
    return []

def probe_for(command):
    real_probe_for(command)
    return not_run

measurement.probe_for = probe_for
"""


def modules_after(argv: list[str], *, stub_probe: bool = False) -> tuple[int, set[str]]:
    """The exit status of ``cloudping ARGV`` in a fresh interpreter, and its loaded modules."""
    script = SCRIPT.format(stub=STUB_PROBE if stub_probe else "", argv=argv)
    # No hub from the environment, and no proxy: a run through a hub stays on loopback.
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLOUDPING_") and not key.lower().endswith("_proxy")
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        env=clean,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return result["status"], set(result["modules"])


def loaded_of(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (packages included with their submodules) are in ``modules``."""
    return [name for name in names if any(m == name or m.startswith(name + ".") for m in modules)]


def test_a_local_ping_loads_its_probe_but_no_heavy_library() -> None:
    status, modules = modules_after(["ping", "-c", "1", "127.0.0.1"], stub_probe=True)
    assert "cloudping.probes.icmp.ping" in modules  # the run got as far as the probe
    assert "cloudping.render.terminal.text" in modules
    assert status == 2  # the stub emitted no result
    assert loaded_of(modules, HEAVY + OTHER_PROBES) == []


@pytest.mark.parametrize(
    "argv", [["help", "ping"], ["help"], ["ping", "--help"], ["dns", "-t", "A"], ["pnig"]]
)
def test_help_and_usage_errors_load_no_runtime_and_no_heavy_library(argv: list[str]) -> None:
    status, modules = modules_after(argv)
    assert "cloudping.commands.table" in modules  # the grammar answered
    assert status == (2 if argv[0] in ("dns", "pnig") else 0)
    assert loaded_of(modules, HEAVY + RUNTIME) == []


@pytest.mark.parametrize("argv", [["--help"], ["-h"], []])
def test_the_overview_loads_no_grammar(argv: list[str]) -> None:
    status, modules = modules_after(argv)
    assert status == 0
    assert "cloudping.commands.commandnames" in modules  # the list of commands was read
    assert loaded_of(modules, ("pydantic", *GRAMMAR, *HEAVY, *RUNTIME)) == []


def test_a_run_through_a_hub_loads_httpx_but_no_local_probe() -> None:
    # Port 1 on loopback refuses at once: the run ends with "cannot reach the hub".
    argv = ["ping", "--hub", "http://127.0.0.1:1", "-c", "1", "127.0.0.1"]
    status, modules = modules_after(argv)
    assert status == 2
    assert "httpx" in modules  # the check sees a library that was loaded
    server_side = tuple(name for name in HEAVY if name not in ("anyio", "httpcore", "httpx"))
    assert loaded_of(modules, server_side) == []
    assert loaded_of(modules, ("cloudping.measurement", "cloudping.probes")) == []


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without ``*_proxy`` variables."""
    for key in [key for key in os.environ if key.lower().endswith("_proxy")]:
        monkeypatch.delenv(key)
    return monkeypatch


def test_an_https_hub_is_verified_with_the_default_ca_bundle(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    assert tls_verify("https://hub.example:8443") is True


def test_a_direct_http_hub_gets_a_context_that_trusts_nothing(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    verify = tls_verify("http://127.0.0.1:8080")
    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED
    assert verify.check_hostname
    assert verify.cert_store_stats()["x509_ca"] == 0


def test_an_http_hub_behind_a_proxy_keeps_the_default_ca_bundle(
    no_proxy_env: pytest.MonkeyPatch,
) -> None:
    no_proxy_env.setenv("https_proxy", "https://proxy.example:3128")
    assert tls_verify("http://127.0.0.1:8080") is True


def test_token_issue_loads_no_grammar(tmp_path: Path) -> None:
    argv = ["token", "issue", "--data-dir", str(tmp_path), "--sub", "fra1", "--aud", "agent"]
    status, modules = modules_after(argv)
    assert status == 0
    assert "jwt" in modules
    assert loaded_of(modules, ("cloudping.commands", "pydantic")) == []
