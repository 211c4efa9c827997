"""``cloudping agent --hub wss://HOST:PORT/agent``: the URL picks the WebSocket transport;
one that is not ``wss://`` stops the agent before it dials. (The real process over either
transport runs a job and leaves gracefully in test_loopback.py.) A WebSocket agent never
loads aioquic.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cloudping.main import main
from cloudping.serve import agent as cli
from cloudping.transport.ws import HubUrl

from .test_cli import BASE, PIN, settings_of


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
        ("wss://hub.example.net:9443", HubUrl("hub.example.net", 9443, "/agent")),
        ("wss://hub.example.net:9443/", HubUrl("hub.example.net", 9443, "/agent")),
        ("wss://hub.example.net:9443?v=1", HubUrl("hub.example.net", 9443, "/agent?v=1")),
        ("wss://hub.example.net/hub/agent", HubUrl("hub.example.net", 443, "/hub/agent")),
    ],
)
def test_the_url_gives_host_port_and_path(url: str, expected: HubUrl) -> None:
    args = cli.parser().parse_args(["--hub", url, *BASE[2:], "--hub-fingerprint", PIN])
    assert cli.settings(args, ()).ws == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        # Loopback with closed ports: were a check to slip, nothing off this machine is dialled.
        ("ws://127.0.0.1:1/agent", "starts with wss:// (TLS)"),
        ("https://127.0.0.1:1/agent", "starts with wss://"),
        ("wss:///agent", "names no host"),
        ("wss://127.0.0.1:99999/agent", "out of range"),
    ],
)
def test_a_url_that_is_not_wss_stops_the_agent_before_it_dials(
    url: str, complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["agent", "--hub", url, *BASE[2:], "--hub-fingerprint", PIN]
    assert main(argv) == 2
    assert complaint in capsys.readouterr().err


# Builds a WebSocket agent's dialler in a fresh interpreter; prints the aioquic modules loaded.
NO_QUIC = """
import json, sys
from cloudping.agent import connect, runtime
from cloudping.serve import agent as cli
from cloudping.transport import ws
cli.dialler(cli.settings(cli.parser().parse_args(json.loads(sys.argv[1])), ()))
print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] == "aioquic")))
"""


def test_a_websocket_agent_does_not_load_aioquic() -> None:
    argv = ["--hub", "wss://hub.example.net/agent", *BASE[2:], "--hub-fingerprint", PIN]
    done = subprocess.run(
        [sys.executable, "-c", NO_QUIC, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == []
