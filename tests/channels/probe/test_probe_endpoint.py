"""``GET /probe`` on a real hub (in this process) whose in-process agent probes loopback:
blackbox_exporter's answers, through the command service's tokens, quotas and policy."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx
from metrics.promtool import promtool_problems
from prometheus_client.parser import text_string_to_metric_families

from cloudping.channels.probe import BUILTIN, ProbeModule
from cloudping.service.settings import Quota

from .hubrun import WAIT, RunningHub, running_hub

Values = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def run(scenario: Coroutine[Any, Any, None]) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(WAIT * 3):
            await scenario

    asyncio.run(bounded())


def values(text: str) -> Values:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def one(found: Values, name: str, **labels: str) -> float:
    return found[name, tuple(sorted({"agent": "local", **labels}.items()))]


async def probe(hub: RunningHub, token: str | None, **params: str) -> httpx.Response:
    async with hub.client(token) as client:
        return await client.get("/probe", params=params)


def test_icmp_tcp_and_http_modules_answer_as_blackbox_does_per_agent(tmp_path: Path) -> None:
    async def scenario() -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            port = listener.getsockname()[1]
            async with running_hub(tmp_path) as hub:
                icmp = await probe(hub, "prober", module="icmp", target="127.0.0.1")
                tcp = await probe(hub, "prober", module="tcp_connect", target=f"127.0.0.1:{port}")
                health = f"{hub.url}/healthz"
                http = await probe(hub, "prober", module="http_2xx", target=health)
                post = await probe(hub, "prober", module="http_post_2xx", target=health)
        assert icmp.status_code == 200
        assert icmp.headers["content-type"].startswith("text/plain; version=0.0.4")
        found = values(icmp.text)
        assert one(found, "probe_success") == 1
        assert one(found, "probe_icmp_reply_hop_limit") == 64
        assert one(found, "probe_ip_protocol") == 4
        assert one(found, "probe_ip_addr_hash") == 3668918509  # blackbox's for 127.0.0.1
        assert 0 < one(found, "probe_icmp_duration_seconds", phase="rtt") < 1
        assert one(values(tcp.text), "probe_success") == 1
        http_found = values(http.text)
        assert one(http_found, "probe_success") == 1
        assert one(http_found, "probe_http_status_code") == 200
        assert one(http_found, "probe_http_ssl") == 0
        assert set(phase for (name, labels) in http_found for key, phase in labels
                   if name == "probe_http_duration_seconds" and key == "phase") == {
            "resolve", "connect", "tls", "processing", "transfer"}  # fmt: skip
        post_found = values(post.text)
        assert one(post_found, "probe_http_status_code") == 405  # /healthz is GET only
        assert one(post_found, "probe_success") == 0
        for answer in (icmp, tcp, http, post):
            assert promtool_problems(answer.content) == ""

    run(scenario())


def test_a_closed_port_and_a_policy_refusal_are_probe_success_0(tmp_path: Path) -> None:
    async def scenario() -> None:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            closed = listener.getsockname()[1]  # closed when the block ends
        async with running_hub(tmp_path) as hub:
            refused = await probe(hub, "prober", module="tcp_connect", target=f"127.0.0.1:{closed}")
            private = await probe(hub, "public", module="icmp", target="127.0.0.1")
        assert one(values(refused.text), "probe_success") == 0
        # Loopback is served only to tokens with the private scope, as everywhere.
        assert private.status_code == 200
        assert one(values(private.text), "probe_success") == 0
        assert one(values(private.text), "probe_duration_seconds") > 0  # as blackbox, always

    run(scenario())


def test_multi_packet_icmp_adds_loss_jitter_and_packet_counts(tmp_path: Path) -> None:
    modules = BUILTIN | {"icmp_x5": ProbeModule("icmp_x5", "icmp", timeout_s=2, packets=5)}

    async def scenario() -> None:
        async with running_hub(tmp_path, modules=modules) as hub:
            answer = await probe(hub, "prober", module="icmp_x5", target="127.0.0.1")
        found = values(answer.text)
        assert one(found, "probe_icmp_packets_sent") == 5
        assert one(found, "probe_icmp_packets_received") == 5
        assert one(found, "probe_icmp_packet_loss_ratio") == 0
        assert one(found, "probe_icmp_jitter_seconds") >= 0
        assert promtool_problems(answer.content) == ""

    run(scenario())


def test_a_probe_past_the_scrapers_timeout_answers_what_came_so_far(tmp_path: Path) -> None:
    # 20 packets 0.2 s apart take ~4 s; Prometheus says it waits 1 s (0.5 s of it left for
    # the answer), so the probe is cut short before its summary.
    modules = BUILTIN | {"icmp_x20": ProbeModule("icmp_x20", "icmp", timeout_s=1, packets=20)}

    async def scenario() -> None:
        async with running_hub(tmp_path, modules=modules) as hub, hub.client("prober") as client:
            answer = await client.get(
                "/probe",
                params={"module": "icmp_x20", "target": "127.0.0.1"},
                headers={"X-Prometheus-Scrape-Timeout-Seconds": "1"},
            )
        assert answer.status_code == 200
        found = values(answer.text)
        assert one(found, "probe_success") == 0
        assert ("probe_icmp_packets_sent", (("agent", "local"),)) not in found  # no summary

    run(scenario())


def test_tokens_modules_targets_and_quotas_are_checked_before_anything_runs(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with running_hub(tmp_path, quota=Quota(2, 10)) as hub:
            anonymous = await probe(hub, None, module="icmp", target="127.0.0.1")
            anonymous_unknown = await probe(hub, None, module="ssh_banner", target="127.0.0.1")
            reader = await probe(hub, "reader", module="icmp", target="127.0.0.1")
            unknown = await probe(hub, "prober", module="ssh_banner", target="127.0.0.1")
            missing = await probe(hub, "prober", module="icmp")
            words = await probe(hub, "prober", module="icmp", target="127.0.0.1 -c 1000")
            first = await probe(hub, "prober", module="icmp", target="127.0.0.1")
            second = await probe(hub, "prober", module="icmp", target="127.0.0.1")
            third = await probe(hub, "prober", module="icmp", target="127.0.0.1")
        assert anonymous.status_code == anonymous_unknown.status_code == 401
        assert reader.status_code == 403
        assert reader.json()["error"]["code"] == "scope_missing"
        assert (unknown.status_code, unknown.text) == (400, "Unknown module 'ssh_banner'")
        assert (missing.status_code, missing.text) == (400, "Target parameter is missing")
        assert words.status_code == 400
        assert words.json()["error"]["code"] == "bad_command"
        assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
        assert third.json()["error"]["code"] == "quota_exceeded"

    run(scenario())
