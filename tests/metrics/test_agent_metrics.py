"""An agent's metrics count its jobs, packets and limits from what its runtime really does."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import subprocess
import sys

import pytest
from agent.twin import LIMITS, TwinLink, offer, run
from prometheus_client.parser import text_string_to_metric_families

from cloudping.agent.admit import AgentRules
from cloudping.agent.runtime import Agent
from cloudping.metrics import AgentMetrics
from cloudping.probes.env import ProbeEnv
from cloudping.serve import agent as cli

from .promtool import promtool_problems

SERVING_LOOPBACK = AgentRules(served=(ipaddress.ip_network("127.0.0.0/8"),), max_rate_pps=50)


def value(exposition: bytes, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(exposition.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_jobs_packets_durations_and_limits_are_counted_from_real_jobs() -> None:
    metrics = AgentMetrics()

    async def scenario() -> None:
        link = TwinLink()
        async with (
            ProbeEnv(agent="twin") as env,
            Agent.running(env, SERVING_LOOPBACK, metrics) as agent,
        ):
            agent(link, offer("j1", "ping", "-c", "3", "-i", "0.2", "127.0.0.1"))
            agent(link, offer("j2", "ping", "-c", "2", "-i", "0.2", "198.18.0.1"))
            agent(link, offer("j3", "scan", "--rate", "500", "127.0.0.0/30", limits=LIMITS))
            for job in ("j1", "j2", "j3"):
                await link.wait_end(job)

    run(scenario())
    text = asyncio.run(metrics.scrape())
    assert value(text, "cloudping_agent_jobs_total", command="ping", result="completed") == 1
    assert value(text, "cloudping_agent_jobs_total", command="ping", result="failed") == 1
    assert value(text, "cloudping_agent_jobs_total", command="scan", result="failed") == 1
    assert value(text, "cloudping_agent_packets_sent_total", command="ping") == 3
    assert value(text, "cloudping_agent_packets_received_total", command="ping") == 3
    assert value(text, "cloudping_agent_probe_duration_seconds_count", command="ping") == 2
    assert value(text, "cloudping_agent_limited_jobs_total", limit="max_rate_pps") == 1
    assert promtool_problems(text) == ""


def test_an_agent_whose_metrics_port_is_taken_says_so_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        argv = ["--hub", "127.0.0.1:9", "--name", "fra1", "--token", "t0k3n"]
        argv += ["--hub-fingerprint", "AB:" * 31 + "AB", "--metrics-listen", busy]
        assert cli.main(argv) == 2
    said = capsys.readouterr().err
    assert said == (
        f"cloudping agent: cannot listen on tcp {busy}: address already in use "
        "(--metrics-listen HOST:PORT moves it)\n"
    )


def test_an_agent_without_a_metrics_listener_loads_no_metrics_library_nor_web_server() -> None:
    heavy = "('prometheus_client', 'uvicorn', 'starlette')"
    probe = (
        "import sys; from cloudping.serve import agent; "
        f"print(sorted(m for m in {heavy} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
