"""Issue 17 in the lab: ``cloudping hub --geoip-asn --geoip-city`` with the lab's MMDB files,
an agent in another namespace; a traceroute through the hub shows the AS of every hop, and
``GET /api/v1/ipinfo`` answers from the same files. The agent has no database, and declares
no place: the hub places it by the address it connects from."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
from ipinfo.labdata import LAB, write_asn, write_city
from lab import Lab

from .labhub import API_PORT, HUB_ROLE, REQUEST_TIMEOUT_S, LabHub

TARGET = "198.18.3.2"
# One MCP tool call, stateless StreamableHTTP, run in r2 (the API listens on its loopback);
# prints the HTTP status, then the JSON-RPC answer (the data line of an SSE answer).
MCP_CALL = """
import json, sys, httpx
url, tool, arguments = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments}}
headers = {"Authorization": "Bearer " + sys.stdin.readline().strip(),
           "Accept": "application/json, text/event-stream"}
with httpx.Client(timeout=30, trust_env=False) as client:
    answer = client.post(url, json=call, headers=headers)
print(answer.status_code)
lines = [l[5:] for l in answer.text.splitlines() if l.startswith("data:")] or [answer.text]
print(lines[-1].strip())
"""


@pytest.fixture(scope="module")
def hub(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHub]:
    """The hub with the lab files, and both agents, for this module."""
    folder = tmp_path_factory.mktemp("labhub-ipinfo")
    asn, city = write_asn(folder / "asn.mmdb"), write_city(folder / "city.mmdb")
    options = ("--geoip-asn", str(asn), "--geoip-city", str(city), "--mcp-stateless")
    running = LabHub.create(lab, folder, hub_args=options)
    try:
        running.ensure_running()
        yield running
    finally:
        running.close()


def expected(address: str) -> tuple[int, str, str, str]:
    """What the lab files say of an address of subnet 198.18.N."""
    asn, as_name, country, city, _ = LAB[int(address.split(".")[2])]
    return asn, as_name, country, city


def test_a_traceroute_through_the_hub_shows_the_as_of_every_hop(hub: LabHub, lab: Lab) -> None:
    events = hub.measure(f"traceroute -q 1 -s a1 {TARGET}")
    hops = sorted((e for e in events if e["type"] == "hop"), key=lambda e: e["ttl"])
    probes = [e["probes"][0] for e in hops]
    assert [p["address"] for p in probes] == lab.hops(4, source="agent")
    for probe in probes:
        shown = (probe["asn"], probe["as_name"], probe["country"], probe["city"])
        assert shown == expected(probe["address"])
    [summary] = [e for e in events if e["type"] == "summary"]
    responders = [hop["responders"][0] for hop in summary["hops"]]
    assert [(r["address"], r["asn"]) for r in responders] == [
        (p["address"], p["asn"]) for p in probes
    ]


def test_a_ping_summary_through_the_hub_carries_the_target_network(hub: LabHub) -> None:
    events = hub.measure(f"ping -c 1 -s a2 {TARGET}")
    [summary] = [e for e in events if e["type"] == "summary"]
    assert (summary["asn"], summary["as_name"], summary["country"], summary["city"]) == expected(
        TARGET
    )


def test_the_mcp_tool_ipinfo_on_the_hub_returns_the_merged_result(hub: LabHub, lab: Lab) -> None:
    url = f"http://127.0.0.1:{API_PORT}/mcp"
    argv = [sys.executable, "-c", MCP_CALL, url, "ipinfo", json.dumps({"addresses": [TARGET]})]
    done = lab.run(HUB_ROLE, argv, timeout=REQUEST_TIMEOUT_S, input=hub.api_token + "\n")
    status, _, body = done.stdout.partition("\n")
    assert status == "200", done.stdout
    result = json.loads(body)["result"]
    assert not result.get("isError"), result
    [report] = result["structuredContent"]["results"]
    assert (report["asn"], report["as_name"], report["country"], report["city"]) == expected(TARGET)
    # The keyless country database knows nothing of the lab range: it is not listed.
    assert [p["provider"] for p in report["providers"]] == ["geoip-asn", "geoip-city"]


def test_get_ipinfo_on_the_hub_answers_from_its_files(hub: LabHub) -> None:
    [result] = hub.get(f"/ipinfo/{TARGET}")["results"]
    assert (result["asn"], result["as_name"], result["country"], result["city"]) == expected(TARGET)
    assert result["special"] == "Benchmarking"


def test_an_agent_declaring_no_place_is_placed_by_the_address_it_connects_from(
    hub: LabHub,
) -> None:
    agents = {agent["name"]: agent for agent in hub.get("/agents")["agents"]}
    a1, a2 = agents["a1"], agents["a2"]  # from 198.18.1.2 and 198.18.4.2
    assert (a1["asn"], a1["isp"], a1["country"], a1["city"]) == (65001, "LAB-EDGE", "DE", "Berlin")
    assert (a2["asn"], a2["country"]) == (None, None)  # no file holds 198.18.4.0/24
    events = hub.measure(f"ping -c 1 -s AS65001 {TARGET}")
    assert events[0]["agents"] == ["a1"]  # and the selectors find it there
