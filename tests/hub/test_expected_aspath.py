"""Issue 18: a hub whose route store covers a traceroute's address puts the expected AS paths
(the longest match's most-seen paths, with visibility) on the path summary, asking the store
once per address of a measurement; the text shows them beside the ASNs the hops answered
from. A hub without routes adds nothing. The loop audit of this directory fails any test
where the look-up blocked the event loop."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

from routes.mrtbytes import VOTERS, Entry, peer_index, rib

from cloudping.commands import parse
from cloudping.events import ExpectedPath, PathSummaryEvent, from_dict
from cloudping.hub import Hub
from cloudping.hub.registry import MemoryRegistry
from cloudping.hub.server import HubServer
from cloudping.render import render
from cloudping.routes.ingest import ingest
from cloudping.store import MemoryStore
from cloudping.testing import ScriptedAgent, connect

from .serving import Stream, run, settings
from .test_bgp_origin import until
from .test_server_process import LOCAL

# Two peers of three reach 127/8 through AS4200000002; the third through AS65002. The /16
# covers a range the traceroute does not touch.
TABLE = (
    peer_index(VOTERS)
    + rib(
        "127.0.0.0/8",
        [
            Entry(0, (65001, 4200000002, 64510)),
            Entry(1, (65001, 4200000002, 64510)),
            Entry(2, (65002, 64510)),
        ],
    )
    + rib("10.1.0.0/16", [Entry(0, (65001, 64999))])
)


async def summaries(server: HubServer, command: str) -> list[dict[str, Any]]:
    stream = Stream()
    await server.hub.run(parse(command), None, stream)
    return [e for e in stream.events if e["type"] == "summary"]


def test_the_summary_carries_the_expected_as_paths_and_the_text_shows_both(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    dump = tmp_path / "table.mrt"
    dump.write_bytes(TABLE)
    ingest(data_dir, "lab", str(dump), now=1.0)
    config = dataclasses.replace(settings(data_dir), local_agent=LOCAL)

    async def scenario() -> None:
        async with HubServer(config) as server:
            await until(lambda: server.ipinfo.local("127.0.0.1").asn is not None)
            [summary] = await summaries(server, "traceroute -q 1 127.0.0.1")
            assert summary["expected_paths"] == [
                {
                    "prefix": "127.0.0.0/8",
                    "as_path": [65001, 4200000002, 64510],
                    "visibility": 2,
                    "peers": 3,
                },
                {"prefix": "127.0.0.0/8", "as_path": [65002, 64510], "visibility": 1, "peers": 3},
            ]
            event = from_dict(summary)
            assert isinstance(event, PathSummaryEvent)
            text = render(event)
            assert text is not None
            assert text.splitlines()[-1] == (
                "AS path: BGP 65001 4200000002 64510 (2/3 peers), 65002 64510 (1/3 peers)"
                " | seen 64510"
            )
            [mtr] = await summaries(server, "mtr -c 1 127.0.0.1")
            assert mtr["expected_paths"] == summary["expected_paths"]

    run(scenario())


def test_a_hub_without_routes_adds_nothing_to_the_summary(tmp_path: Path) -> None:
    config = dataclasses.replace(settings(tmp_path / "data"), local_agent=LOCAL)

    async def scenario() -> None:
        async with HubServer(config) as server:
            [summary] = await summaries(server, "traceroute -q 1 127.0.0.1")
            assert "expected_paths" not in summary
            event = from_dict(summary)
            assert isinstance(event, PathSummaryEvent)
            assert "AS path" not in (render(event) or "")

    run(scenario())


def test_an_address_no_route_covers_gets_no_expected_path(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    dump = tmp_path / "table.mrt"
    dump.write_bytes(peer_index(VOTERS) + rib("10.1.0.0/16", [Entry(0, (65001, 64999))]))
    ingest(data_dir, "lab", str(dump), now=1.0)
    config = dataclasses.replace(settings(data_dir), local_agent=LOCAL)

    async def scenario() -> None:
        async with HubServer(config) as server:
            [summary] = await summaries(server, "traceroute -q 1 127.0.0.1")
            assert "expected_paths" not in summary

    run(scenario())


def test_agents_tracing_one_address_share_one_look_up_made_off_the_loop() -> None:
    asked: list[tuple[str, bool]] = []
    expected = (ExpectedPath(prefix="198.19.0.0/16", as_path=(65001,), visibility=1, peers=1),)

    def look_up(address: str) -> tuple[ExpectedPath, ...]:
        asked.append((address, threading.current_thread() is threading.main_thread()))
        return expected

    async def scenario() -> None:
        hub = Hub(MemoryRegistry(), MemoryStore(), expected_paths=look_up)
        async with hub:
            for name in ("fra1", "ams1"):
                await connect(hub, ScriptedAgent(name))
            stream = Stream()
            await hub.run(parse("traceroute -s fra1,ams1 example.com"), None, stream)
        paths = [e["expected_paths"] for e in stream.events if e["type"] == "summary"]
        assert paths == [[{"prefix": "198.19.0.0/16", "as_path": [65001], "visibility": 1,
                           "peers": 1}]] * 2  # fmt: skip
        assert asked == [("198.19.0.9", False)]  # the scripted agents' address, in a thread

    run(scenario())
