"""What only the WebSocket binding does, on 127.0.0.1 with the hub's own self-signed
certificate: the listener's URL, the HTTP answer to another path, a TLS client that never
upgrades, a TCP connection that drops without a close frame.

What it shares with the QUIC binding (jobs, cancels, trust, refusals, liveness) is tested
over both in test_bindings.py. Every wait is bounded and waits for a condition.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest

from cloudping.transport.ws import HubUrl, WsAgentServer, WsHubConnection
from cloudping.wire import Disconnected, HubUnreachableError

from .bindings import HubFiles, Recorder, WsBinding, run


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsBinding:
    return WsBinding(HubFiles.write(tmp_path_factory.mktemp("wshub")))


def test_the_listener_serves_the_agent_path_on_its_bound_port(ws: WsBinding) -> None:
    async def scenario() -> None:
        async with ws.listen() as the_hub:
            assert isinstance(the_hub.server, WsAgentServer)
            assert the_hub.server.url == f"wss://127.0.0.1:{the_hub.port}/agent"
            assert the_hub.port != 0

    run(scenario())


def test_another_path_is_unreachable_with_the_hubs_404(ws: WsBinding) -> None:
    async def scenario() -> None:
        async with ws.listen() as the_hub:
            url = HubUrl("127.0.0.1", the_hub.port, "/ws")
            with pytest.raises(HubUnreachableError, match="HTTP 404") as caught:
                async with the_hub.dial(Recorder(), url=url):
                    pass
            assert "agents dial /agent" in caught.value.message

    run(scenario())


def test_a_client_that_never_upgrades_is_dropped_at_the_hello_timeout(ws: WsBinding) -> None:
    async def scenario() -> None:
        async with ws.listen(hello_timeout=0.3) as the_hub:
            context = ssl.create_default_context(cafile=str(ws.files.cert_file))
            _, writer = await asyncio.open_connection(
                "127.0.0.1", the_hub.port, ssl=context, server_hostname="localhost"
            )
            await the_hub.events.wait_for_kind(Disconnected)
            writer.close()
            reason = "no hello was accepted within 0.3 s"
            assert the_hub.events.of(Disconnected) == [Disconnected(reason, by_peer=False)]
            assert not the_hub.server.connections

    run(scenario())


def test_an_agent_whose_connection_drops_is_lost_at_once(ws: WsBinding) -> None:
    async def scenario() -> None:
        async with ws.listen() as the_hub:
            async with the_hub.dial(Recorder()) as link:
                assert isinstance(link, WsHubConnection)
                link.transport.abort()  # as when the agent's host dies: no close frame
                await the_hub.events.wait_for_kind(Disconnected)
            (gone,) = the_hub.events.of(Disconnected)
            assert gone.by_peer
            assert gone.reason.startswith("the connection was lost")

    run(scenario())
