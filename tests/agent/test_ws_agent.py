"""``cloudping agent --hub wss://HOST:PORT/agent``: the URL picks the WebSocket transport,
and the real process runs a job for a minimal WebSocket hub and leaves gracefully.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cloudping.agent import cli
from cloudping.cli.main import main
from cloudping.wire import JobEnd
from cloudping.wire.hubcert import self_signed
from cloudping.wire.ws import HubUrl, WsAgentServer, serve_agents_ws

from .test_cli import BASE, PIN, settings_of
from .test_loopback import TOKEN, MiniHub
from .test_runtime import LONG_PING
from .twin import WAIT, offer, run


def test_a_wss_url_picks_the_websocket_transport() -> None:
    args = cli.parser().parse_args(
        ["--hub", "wss://hub.example.net:8443/agent", *BASE[2:], "--hub-fingerprint", PIN]
    )
    config = cli.settings(args, cli.capabilities(lambda: True))
    assert config.ws == HubUrl("hub.example.net", 8443, "/agent")
    assert (config.host, config.port) == ("hub.example.net", 8443)
    assert settings_of("--hub-fingerprint", PIN).ws is None  # HOST:PORT stays QUIC


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("wss://hub.example.net/agent", HubUrl("hub.example.net", 443, "/agent")),
        ("wss://[2001:db8::1]:9443/agent", HubUrl("2001:db8::1", 9443, "/agent")),
        ("wss://hub.example.net:9443", HubUrl("hub.example.net", 9443, "/")),
    ],
)
def test_the_url_gives_host_port_and_path(url: str, expected: HubUrl) -> None:
    args = cli.parser().parse_args(["--hub", url, *BASE[2:], "--hub-fingerprint", PIN])
    assert cli.settings(args, ()).ws == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ws://hub.example.net:8443/agent", "starts with wss:// (TLS)"),
        ("https://hub.example.net/agent", "starts with wss://"),
        ("wss:///agent", "names no host"),
        ("wss://hub.example.net:99999/agent", "out of range"),
    ],
)
def test_a_url_that_is_not_wss_stops_the_agent_before_it_dials(
    url: str, complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["agent", "--hub", url, *BASE[2:], "--hub-fingerprint", PIN]
    assert main(argv) == 2
    assert complaint in capsys.readouterr().err


@asynccontextmanager
async def ws_hub(tmp_path: Path, mini: MiniHub) -> AsyncIterator[tuple[WsAgentServer, str]]:
    cert = self_signed(["127.0.0.1"])
    (tmp_path / "hub.crt").write_bytes(cert.certificate_pem)
    (tmp_path / "hub.key").write_bytes(cert.private_key_pem)
    async with serve_agents_ws(
        "127.0.0.1",
        0,
        certificate=tmp_path / "hub.crt",
        private_key=tmp_path / "hub.key",
        on_event=mini,
    ) as server:
        yield server, cert.fingerprint


def test_cloudping_agent_over_websocket_runs_a_job_and_leaves_gracefully_on_sigterm(
    tmp_path: Path,
) -> None:
    mini = MiniHub([offer("j1", *LONG_PING)])

    async def scenario() -> None:
        async with ws_hub(tmp_path, mini) as (server, pin):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "cloudping", "agent",
                "--hub", server.url, "--name", "lo1", "--token", TOKEN,
                "--hub-fingerprint", pin, "--serve", "127.0.0.0/8",
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                await mini.wait_for(lambda: "reply" in mini.types("j1"))
                process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(WAIT):
                    _, err = await process.communicate()
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            await mini.wait_for(lambda: mini.end("j1") is not None)
        assert process.returncode == 0, err.decode()
        assert mini.hellos == 1
        assert mini.types("j1")[0] == "start"
        assert mini.types("j1")[-1] == "summary"  # sent before the close frame
        assert mini.end("j1") == JobEnd(job_id="j1", status="cancelled")
        assert TOKEN.encode() not in err

    run(scenario())
