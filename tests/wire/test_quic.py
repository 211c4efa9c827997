"""What only the aioquic binding does, on 127.0.0.1: the ALPN that names the framing.

What it shares with the WebSocket binding (jobs, cancels, trust, refusals, liveness) is
tested over both in test_bindings.py. Every wait is bounded and waits for a condition.
"""

from __future__ import annotations

import ssl

import pytest
from aioquic.asyncio.client import connect
from aioquic.quic.configuration import QuicConfiguration

from cloudping.wire import Disconnected, Hello

from .bindings import HubFiles, QuicHarness, run


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> HubFiles:
    return HubFiles.write(tmp_path_factory.mktemp("quichub"))


def test_a_quic_client_without_the_cloudping_alpn_gets_no_connection(files: HubFiles) -> None:
    async def scenario() -> None:
        async with QuicHarness(files).listen() as the_hub:
            config = QuicConfiguration(is_client=True, alpn_protocols=["h3"])
            config.verify_mode = ssl.CERT_NONE  # the certificate is not what is tested here
            with pytest.raises(ConnectionError):
                async with connect("127.0.0.1", the_hub.port, configuration=config):
                    pass
            # The hub's TLS ended the handshake (no common ALPN): nothing reached the door.
            await the_hub.events.wait_for_kind(Disconnected)
            (gone,) = the_hub.events.of(Disconnected)
            assert gone.reason == "No common ALPN protocols"  # aioquic's TLS alert
            assert the_hub.events.of(Hello) == []
            assert not the_hub.server.connections

    run(scenario())
