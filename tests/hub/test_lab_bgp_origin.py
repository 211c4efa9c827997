"""Issue 17/18 in the lab: ``cloudping hub`` whose route store holds a table (loaded before it
starts, as ``cloudping route ingest`` does) and whose ASN file disagrees with it; a
traceroute from agent a1 through r1 and r2 shows each hop's BGP origin, and ``GET
/api/v1/ipinfo`` lists ``bgp`` with the prefix it matched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ipinfo.labdata import write_asn
from lab import Lab
from routes.mrtbytes import origins_table

from cloudping.routes.ingest import ingest

from .labhub import LabHub

TARGET = "198.18.3.2"
TABLE = {
    "198.18.0.0/15": [64600, 64600, 64600],  # covers the agent side and everything else
    "198.18.2.0/24": [64602, 64602, 65002],  # the routers' link: two peers of three
    "198.18.3.0/24": [64603],  # the target side
}
ORIGIN = {1: (64600, "198.18.0.0/15"), 2: (64602, "198.18.2.0/24"), 3: (64603, "198.18.3.0/24")}


@pytest.fixture(scope="module")
def hub(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHub]:
    folder = tmp_path_factory.mktemp("labhub-bgp")
    (folder / "table.mrt").write_bytes(origins_table(TABLE))
    ingest(folder, "lab", str(folder / "table.mrt"), now=1.0)
    asn = write_asn(folder / "asn.mmdb")  # says AS6500N for 198.18.N.0/24
    running = LabHub.create(lab, folder, hub_args=("--geoip-asn", str(asn)))
    try:
        running.ensure_running()
        yield running
    finally:
        running.close()


def test_a_traceroute_through_the_hub_shows_the_bgp_origin_of_every_hop(
    hub: LabHub, lab: Lab
) -> None:
    events = hub.measure(f"traceroute -q 1 -s a1 {TARGET}")
    hops = sorted((e for e in events if e["type"] == "hop"), key=lambda e: e["ttl"])
    probes = [e["probes"][0] for e in hops]
    assert [p["address"] for p in probes] == lab.hops(4, source="agent")
    subnets = [int(p["address"].split(".")[2]) for p in probes]
    assert [(p["asn"], p["as_name"]) for p in probes] == [(ORIGIN[n][0], None) for n in subnets]
    [summary] = [e for e in events if e["type"] == "summary"]
    assert [hop["responders"][0]["asn"] for hop in summary["hops"]] == [p["asn"] for p in probes]


def test_get_ipinfo_lists_bgp_with_its_prefix_first(hub: LabHub) -> None:
    [result] = hub.get(f"/ipinfo/{TARGET}")["results"]
    assert (result["asn"], result["as_name"]) == (64603, None)  # the file says AS65003
    providers = [(p["provider"], p["asn"], p["prefix"]) for p in result["providers"]]
    assert providers[:2] == [("bgp", 64603, "198.18.3.0/24"), ("geoip-asn", 65003, "198.18.3.0/24")]
