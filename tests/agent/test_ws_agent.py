"""``cloudping agent --hub wss://HOST:PORT/agent``: the URL picks the WebSocket transport;
one that is not ``wss://`` stops the agent before it dials. (The real process over either
transport runs a job and leaves gracefully in test_loopback.py.)
"""

from __future__ import annotations

import pytest

from cloudping.agent import cli
from cloudping.cli.main import main
from cloudping.wire.ws import HubUrl

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
