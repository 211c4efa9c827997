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
from wsproto import ConnectionType, WSConnection
from wsproto.events import Request

from cloudping.transport.ws import HubUrl, WsAgentServer
from cloudping.transport.wsbinding import WsBinding
from cloudping.wire import Disconnected, HubUnreachableError
from cloudping.wire.streams import ALPN

from .bindings import WAIT, HubFiles, Recorder, WsHarness, run

MASK = b"\x00\x00\x00\x00"  # a zero mask leaves the payload as written (RFC 6455 5.3)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> WsHarness:
    return WsHarness(HubFiles.write(tmp_path_factory.mktemp("wshub")))


def test_the_listener_serves_the_agent_path_on_its_bound_port(ws: WsHarness) -> None:
    async def scenario() -> None:
        async with ws.listen() as the_hub:
            assert isinstance(the_hub.server, WsAgentServer)
            assert the_hub.server.url == f"wss://127.0.0.1:{the_hub.port}/agent"
            assert the_hub.port != 0

    run(scenario())


def test_another_path_is_unreachable_with_the_hubs_404(ws: WsHarness) -> None:
    async def scenario() -> None:
        async with ws.listen() as the_hub:
            url = HubUrl("127.0.0.1", the_hub.port, "/ws")
            with pytest.raises(HubUnreachableError, match="HTTP 404") as caught:
                async with the_hub.dial(Recorder(), url=url):
                    pass
            assert "agents dial /agent" in caught.value.message

    run(scenario())


def test_a_client_that_never_upgrades_is_dropped_at_the_hello_timeout(ws: WsHarness) -> None:
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


def test_an_agent_whose_connection_drops_is_lost_at_once(ws: WsHarness) -> None:
    async def scenario() -> None:
        async with ws.listen() as the_hub:
            async with the_hub.dial(Recorder()) as link:
                assert isinstance(link.binding, WsBinding)
                link.binding.transport.abort()  # as when the agent's host dies: no close frame
                await the_hub.events.wait_for_kind(Disconnected)
            (gone,) = the_hub.events.of(Disconnected)
            assert gone.by_peer
            assert gone.reason.startswith("the connection was lost")

    run(scenario())


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param(b"\x82\x01x", 1002, id="unmasked-client-frame"),
        pytest.param(b"\x82\xff" + (2**63).to_bytes(8, "big") + MASK, 1002, id="length-msb-set"),
        pytest.param(b"\x82\xff" + (2**63 - 1).to_bytes(8, "big") + MASK, 1009, id="too-big"),
        pytest.param(b"\x81\x82" + MASK + b"\xc3\x28", 1007, id="bad-utf8-text"),
    ],
)
def test_a_protocol_error_closes_at_once_with_its_code_then_drops_tcp(
    ws: WsHarness, frame: bytes, code: int
) -> None:
    async def scenario() -> None:
        # The hello timeout is far beyond the wait: only an immediate close passes.
        async with ws.listen(hello_timeout=WAIT * 3) as the_hub:
            context = ssl.create_default_context(cafile=str(ws.files.cert_file))
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", the_hub.port, ssl=context, server_hostname="localhost"
            )
            client = WSConnection(ConnectionType.CLIENT)
            writer.write(client.send(Request(host="hub", target="/agent", subprotocols=[ALPN])))
            async with asyncio.timeout(WAIT / 2):
                assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
                writer.write(frame)
                answer = await reader.read()  # until the hub drops the connection
                await the_hub.events.wait_for_kind(Disconnected)
            writer.close()
            assert answer[0] == 0x88  # one close frame, then the end of the stream
            assert int.from_bytes(answer[2:4], "big") == code
            assert len(answer) == 2 + answer[1]
            (gone,) = the_hub.events.of(Disconnected)
            assert not gone.by_peer
            assert not the_hub.server.connections

    run(scenario())
