"""The MCP tool ``ipinfo``: typed arguments, the merged result as structured content."""

from __future__ import annotations

from pathlib import Path

import pytest
from ipinfo.labdata import write_asn, write_city

from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo

from .twin import mcp_world

pytestmark = pytest.mark.anyio


@pytest.fixture
def lab_ipinfo(tmp_path: Path) -> Ipinfo:
    """The lab files, read before the loop runs (as the hub reads them in a thread)."""
    asn = MmdbFile(write_asn(tmp_path / "asn.mmdb"), "geoip-asn")
    return Ipinfo([asn, MmdbFile(write_city(tmp_path / "city.mmdb"), "geoip-city")])


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
