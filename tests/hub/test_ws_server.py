"""The hub's WebSocket listener: the ``--agent-ws-listen`` option, the URL the welcome text
gives agents, and one registry for both listeners (a name live over QUIC is refused over
WebSocket). What agents do over either transport (register, measure, get cancelled, be lost)
is tested once per transport in test_server.py. Every wait is bounded.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cloudping.hub.server import HubServer
from cloudping.serve import hub as hub_cli
from cloudping.transport.trust import HubTrust
from cloudping.transport.ws import dial_hub_ws, parse_hub_url
from cloudping.wire import HubRefusedError

from .serving import WAIT, dialler_of, hello, run, running_agent, settings, token


def test_a_name_live_over_quic_is_refused_over_websocket(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with HubServer(settings(tmp_path, websocket=True)) as server:
            quic = dialler_of(server, "quic")
            async with running_agent(quic):
                await quic.next_accept()
                assert server.agent_ws_url is not None
                with pytest.raises(HubRefusedError) as refused:
                    async with dial_hub_ws(
                        parse_hub_url(server.agent_ws_url),
                        trust=HubTrust.pinned(server.fingerprint),
                        hello=hello("a1", token(server, "a1")),
                        on_event=lambda link, event: None,
                        timeout=WAIT,
                    ):
                        pass
                assert refused.value.refuse_code == "name_in_use"
                entry = await server.registry.get("a1")
                assert entry is not None  # the QUIC agent keeps its name

    run(scenario())


def hub_options(tmp_path: Path, *extra: str) -> list[str]:
    return ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:8443", *extra]


def test_cloudping_hub_takes_the_websocket_listen_address(tmp_path: Path) -> None:
    args = hub_cli.parser().parse_args(hub_options(tmp_path, "--agent-ws-listen", "[::1]:9443"))
    config, _ = hub_cli.configure(args)
    assert config.agent_ws == ("::1", 9443)
    without_port = hub_cli.parser().parse_args(
        hub_options(tmp_path, "--agent-ws-listen", "127.0.0.1")
    )
    with pytest.raises(ValueError, match=r"--agent-ws-listen '127\.0\.0\.1' needs a port"):
        hub_cli.configure(without_port)
    assert hub_cli.configure(hub_cli.parser().parse_args(hub_options(tmp_path)))[0].agent_ws is None


def test_the_welcome_text_gives_the_websocket_url_only_when_it_is_served(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with HubServer(settings(tmp_path, websocket=True)) as server:
            assert server.agent_ws_url is not None
            assert re.fullmatch(r"wss://127\.0\.0\.1:[1-9]\d*/agent", server.agent_ws_url)
            assert f"--hub {server.agent_ws_url} (WebSocket)" in hub_cli.welcome(server)
        async with HubServer(settings(tmp_path)) as quic_only:
            assert quic_only.agent_ws_url is None
            assert "wss://" not in hub_cli.welcome(quic_only)

    run(scenario())
