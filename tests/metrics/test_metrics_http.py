"""``/metrics`` of a real hub: on the API's listener for admin tokens only, and without a
token on ``--metrics-listen``; what the hub did shows in it."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
from channels.probe.hubrun import WAIT, running_hub
from loopaudit import loop_audit
from prometheus_client.parser import text_string_to_metric_families

from .promtool import promtool_problems


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_metrics_need_an_admin_token_on_the_api_and_none_on_their_own_listener(
    tmp_path: Path,
) -> None:
    async def scenario() -> dict[str, httpx.Response]:
        async with running_hub(tmp_path, metrics_port=free_port()) as hub:
            assert hub.metrics_url is not None
            answers = {}
            async with hub.client("prober") as client:
                await client.get("/probe", params={"module": "icmp", "target": "127.0.0.1"})
            for name in ("admin", "prober", None):
                async with hub.client(name) as client:
                    answers[str(name)] = await client.get("/metrics")
            async with httpx.AsyncClient(timeout=WAIT) as client:
                answers["open"] = await client.get(f"{hub.metrics_url}/metrics")
        return answers

    with loop_audit() as findings:  # a scrape reads state on the loop: never blocking I/O
        answers = asyncio.run(scenario())
    assert findings == []
    assert answers["None"].status_code == 401
    assert answers["prober"].status_code == 403
    assert answers["prober"].json()["error"]["code"] == "scope_missing"
    for name in ("admin", "open"):
        answer = answers[name]
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert promtool_problems(answer.content) == ""
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text)
            for s in family.samples
        }
        probe_ok = ("cloudping_hub_requests_total", (("channel", "probe"), ("status", "ok")))
        assert samples[probe_ok] == 1
        local_idle = ("cloudping_hub_agents", (("state", "idle"), ("transport", "local")))
        assert samples[local_idle] == 1
        assert samples["cloudping_hub_store_bytes", ()] > 0
        # The in-process agent's metrics follow the hub's in the same answer.
        local_ping = ("cloudping_agent_jobs_total", (("command", "ping"), ("result", "completed")))
        assert samples[local_ping] == 1
