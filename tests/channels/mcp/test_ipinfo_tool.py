"""The MCP tool ``ipinfo``: typed arguments, the merged result as structured content."""

from __future__ import annotations

from pathlib import Path

import pytest
from ipinfo.labdata import write_asn, write_city

from cloudping.channels.mcp.budget import as_json, fit
from cloudping.events import HopStats, PathSummaryEvent, PingSummaryEvent
from cloudping.ipinfo.annotate import annotated
from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo
from cloudping.render.snapshot import Snapshot

from .twin import mcp_world


@pytest.fixture
def lab_ipinfo(tmp_path: Path) -> Ipinfo:
    """The lab files, read before the loop runs (as the hub reads them in a thread)."""
    asn = MmdbFile(write_asn(tmp_path / "asn.mmdb"), "geoip-asn")
    return Ipinfo([asn, MmdbFile(write_city(tmp_path / "city.mmdb"), "geoip-city")])


@pytest.mark.anyio
async def test_the_ipinfo_tool_returns_the_merged_result_with_each_provider(
    lab_ipinfo: Ipinfo,
) -> None:
    async with mcp_world(ipinfo=lab_ipinfo) as w:
        result = await w.client.call_tool("ipinfo", {"addresses": ["198.18.3.2"]})
        listed = await w.client.list_tools()
    assert not result.is_error
    [report] = result.structured_content["results"]
    assert (report["asn"], report["as_name"], report["country"], report["city"]) == (
        65003,
        "LAB-TARGET",
        "FR",
        "Paris",
    )
    assert [p["provider"] for p in report["providers"]] == ["geoip-asn", "geoip-city"]
    [tool] = [t for t in listed.tools if t.name == "ipinfo"]
    assert "NOT BUILT" not in (tool.description or "")
    assert tool.output_schema is not None
    assert "results" in tool.output_schema["properties"]


def test_a_traceroute_result_carries_each_hop_network_and_a_ping_its_target(
    lab_ipinfo: Ipinfo,
) -> None:
    stats = HopStats(ttl=1, addresses=("198.18.1.1",), names=(None,), sent=1, received=1, loss=0)
    path = PathSummaryEvent(
        agent="fra1", target="t", address="198.18.3.2", probe="traceroute", reached=False,
        hops=(stats, HopStats(ttl=2, addresses=(), names=(), sent=1, received=0, loss=100)),
    )  # fmt: skip
    ping = PingSummaryEvent(
        agent="fra1", target="u", address="198.18.3.2", sent=1, received=1, loss=0
    )
    events = [annotated(event, lab_ipinfo.local) for event in (path, ping)]
    result = as_json(fit(Snapshot.of(events), "traceroute t"))
    by_target = {job["target"]: job for job in result["results"]}
    assert by_target["t"]["path"]["hops"][0]["networks"] == ["AS65001 LAB-EDGE"]
    assert "networks" not in by_target["t"]["path"]["hops"][1]  # nobody answered
    assert (by_target["u"]["ping"]["asn"], by_target["u"]["ping"]["city"]) == (65003, "Paris")
