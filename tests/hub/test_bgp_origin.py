"""Issue 17/18: a hub whose route store holds a table annotates every hop with the BGP origin
AS and answers ``ipinfo`` with it (winning over a conflicting database); a new generation of
the table changes the answers without a restart. The loop audit of this directory fails any
test where building or reading the table blocked the event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ipinfo.labdata import write_asn
from routes.mrtbytes import origins_table

from cloudping.commands import parse
from cloudping.hub.server import HubServer
from cloudping.ipinfo.setup import IpinfoSettings
from cloudping.routes.ingest import ingest

from .serving import WAIT, Stream, run, settings
from .test_server_process import LOCAL

TRACEROUTE = "traceroute -q 1 127.0.0.1"


def serve(data_dir: Path, prefixes: Mapping[str, Sequence[int]], now: float) -> None:
    """Load a table as the next generation of the source ``lab`` (as ``cloudping route
    ingest`` does beside a running hub)."""
    dump = data_dir.parent / f"table-{now}.mrt"
    dump.write_bytes(origins_table(prefixes))
    ingest(data_dir, "lab", str(dump), now=now)


async def until(check: Callable[[], bool]) -> None:
    """Until ``check`` holds, looking every 50 ms, at most WAIT seconds (the hub looks for
    new generations every second)."""
    async with asyncio.timeout(WAIT):
        while not check():
            await asyncio.sleep(0.05)


async def hop_asns(server: HubServer) -> list[Any]:
    """The ASN of every hop of a traceroute to 127.0.0.1, and of its summary's responders."""
    stream = Stream()
    await server.hub.run(parse(TRACEROUTE), None, stream)
    hops = [p["asn"] for e in stream.events if e["type"] == "hop" for p in e["probes"]]
    [summary] = [e for e in stream.events if e["type"] == "summary"]
    return hops + [r["asn"] for hop in summary["hops"] for r in hop["responders"]]


def test_the_hub_annotates_hops_and_answers_ipinfo_from_its_route_table(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # 127/8: two peers of three see AS64510. 198.18.3/24: the lab database says AS65003.
    serve(data_dir, {"127.0.0.0/8": [64510, 64510, 64511], "198.18.3.0/24": [64999]}, now=1.0)
    database = IpinfoSettings(asn=write_asn(tmp_path / "asn.mmdb"), keyless=False)
    config = dataclasses.replace(settings(data_dir), local_agent=LOCAL, ipinfo=database)

    async def scenario() -> None:
        async with HubServer(config) as server:
            assert server.ipinfo.names == ("bgp", "geoip-asn")
            await until(lambda: server.ipinfo.local("127.0.0.1").asn is not None)
            assert set(await hop_asns(server)) == {64510}

            report = (await server.ipinfo.report(ipaddress.ip_address("198.18.3.2"))).to_json()
            assert (report["asn"], report["as_name"]) == (64999, None)
            providers = [(p["provider"], p["asn"], p["prefix"]) for p in report["providers"]]
            assert providers == [
                ("bgp", 64999, "198.18.3.0/24"),
                ("geoip-asn", 65003, "198.18.3.0/24"),
            ]

            await asyncio.to_thread(serve, data_dir, {"127.0.0.0/8": [64520]}, 2.0)
            await until(lambda: server.ipinfo.local("127.0.0.1").asn == 64520)
            assert set(await hop_asns(server)) == {64520}
            report = (await server.ipinfo.report(ipaddress.ip_address("198.18.3.2"))).to_json()
            assert (report["asn"], report["as_name"]) == (65003, "LAB-TARGET")

    run(scenario())
