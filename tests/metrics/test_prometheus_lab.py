"""A real Prometheus (Debian's) scrapes a real hub, an agent and the hub's ``/probe`` in the
lab, and the ``/probe`` answers have blackbox_exporter's metric names and types, checked
against the real prometheus-blackbox-exporter probing the same lab target from the same
namespace.

```
a1 (agent, metrics :9464) --+                      +-- target 198.18.3.2: ping, HTTP :18080,
                            r1 -- r2: hub, Prometheus   unbound :53, TCP :7 dropped (filtered)
a2 (agent2)               --+        |
                                     198.18.99.1: blackholed (silent)
```
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hub.labhub import AGENT_ROLES, API_PORT, CLIENT, HUB_ROLE, LabHub
from lab import Lab, drop_tcp, poll_until
from lab.pki import LabPki
from lab.unbound import lab_server
from prometheus_client.parser import text_string_to_metric_families
from upprocess import cloudping_argv, issue_token

from .promtool import promtool_problems

pytestmark = pytest.mark.lab

AGENT_METRICS_PORT = 9464
PROMETHEUS_PORT = 49090
BLACKBOX_PORT = 49115
HTTP_PORT = 18080  # a plain HTTP server on the target
FILTERED_PORT = 7  # TCP to it is dropped at the target: a filtered port
SCRAPE_BOUND_S = 40.0  # the first sample comes ~5.6 s after start (lab-notes), probes take 5 s
BLACKBOX_CONFIG = Path("/etc/prometheus/blackbox.yml")
# The module cloudping adds to Debian's set, as blackbox_exporter's example.yml writes it.
DNS_UDP = """
  dns_udp:
    prober: dns
    dns:
      query_name: "www.prometheus.io"
      query_type: "A"
"""


class MetricsLabHub(LabHub):
    """The lab hub whose agents also serve their metrics on their lab address."""

    def spawn_agent(self, name: str, role: Any, hub: str, token: str) -> subprocess.Popen[bytes]:
        argv = cloudping_argv(
            "agent", "--hub", hub, "--name", name, "--token", token,
            "--hub-fingerprint", self.fingerprint, "--serve", "198.18.0.0/15,2001:db8::/32",
            "--metrics-listen", f"{self.lab.addr(role, 4)}:{AGENT_METRICS_PORT}",
        )  # fmt: skip
        return self._spawn(role, name, argv)


@pytest.fixture(scope="module")
def deployment(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetricsLabHub]:
    """The hub in r2 and both agents, a web server and unbound on the target, a filtered
    port; stopped by PID at the end."""
    directory = tmp_path_factory.mktemp("prometheus-lab")
    running = MetricsLabHub.create(lab, directory / "hub")
    assert isinstance(running, MetricsLabHub)  # create() builds cls
    target = lab.addr("target", 4)
    web = lab.popen(
        "target",
        [sys.executable, "-m", "http.server", str(HTTP_PORT), "--bind", target],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    dns = lab_server(lab, directory / "unbound", LabPki(directory / "pki"), [target]).start()
    try:
        with drop_tcp(lab, "target", FILTERED_PORT):
            lab.wait_listening("target", HTTP_PORT, timeout=15)
            running.ensure_running()
            yield running
    finally:
        running.close()
        dns.stop()
        lab.stop(web)


def probe_url(module: str, target: str, selector: str) -> str:
    query = urllib.parse.urlencode({"module": module, "target": target, "from": selector})
    return f"http://127.0.0.1:{API_PORT}/probe?{query}"


def hub_get(hub: MetricsLabHub, url: str, token: str) -> tuple[int, str]:
    """A GET inside r2 (the hub's namespace) with ``token``: status and body."""
    done = hub.lab.run(
        HUB_ROLE, [sys.executable, "-c", CLIENT, "GET", url], timeout=60, input=token + "\n"
    )
    status, _, body = done.stdout.partition("\n")
    return int(status), body


def names_and_types(text: str) -> set[tuple[str, str]]:
    return {(f.name, f.type) for f in text_string_to_metric_families(text)}


def prometheus_config(hub: MetricsLabHub, directory: Path, admin: str) -> Path:
    (directory / "admin.token").write_text(admin)
    (directory / "prober.token").write_text(hub.api_token)
    agents = [f"{hub.lab.addr(role, 4)}:{AGENT_METRICS_PORT}" for role in AGENT_ROLES.values()]
    relabel = [  # blackbox_exporter's documented relabelling: the target becomes a parameter
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": f"127.0.0.1:{API_PORT}"},
    ]
    target = hub.lab.addr("target", 4)

    def probe_job(name: str, module: str, targets: list[str]) -> dict[str, Any]:
        return {
            "job_name": name,
            "metrics_path": "/probe",
            "params": {"module": [module], "from": [",".join(AGENT_ROLES)]},
            "scrape_interval": "8s",
            "scrape_timeout": "7s",
            "authorization": {"credentials_file": str(directory / "prober.token")},
            "static_configs": [{"targets": targets}],
            "relabel_configs": relabel,
        }

    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [
            {
                "job_name": "hub",
                "authorization": {"credentials_file": str(directory / "admin.token")},
                "static_configs": [{"targets": [f"127.0.0.1:{API_PORT}"]}],
            },
            {"job_name": "agents", "static_configs": [{"targets": agents}]},
            probe_job("icmp", "icmp", [target, hub.lab.blackhole(4)]),
            probe_job("tcp", "tcp_connect", [f"{target}:{HTTP_PORT}", f"{target}:{FILTERED_PORT}"]),
        ],
    }
    path = directory / "prometheus.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


def query(hub: MetricsLabHub, promql: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1/query?" + urllib.parse.urlencode(
        {"query": promql}
    )
    done = hub.lab.run(HUB_ROLE, ["curl", "-sf", url], timeout=10, check=False)
    if done.returncode != 0:
        return []
    result: list[dict[str, Any]] = json.loads(done.stdout)["data"]["result"]
    return result


def test_prometheus_scrapes_the_hub_an_agent_and_probe_per_agent(
    deployment: MetricsLabHub, tmp_path: Path
) -> None:
    hub = deployment
    admin = issue_token(hub.data_dir, "ops", "api", "admin")
    config = prometheus_config(hub, tmp_path, admin)
    argv = [
        "prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}", "--log.level=warn",
    ]  # fmt: skip
    log = (tmp_path / "prometheus.log").open("wb")
    prometheus = hub.lab.popen(HUB_ROLE, argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        expected = 8  # icmp and tcp jobs: 2 targets x 2 agents

        def all_probed() -> bool:
            assert prometheus.poll() is None, (tmp_path / "prometheus.log").read_text()
            return len(query(hub, "probe_success")) >= expected

        poll_until(all_probed, timeout=SCRAPE_BOUND_S, what="every probe scraped", every=0.5)
        up = {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1]
              for r in query(hub, "up")}  # fmt: skip
        success = {
            (r["metric"]["job"], r["metric"]["instance"], r["metric"]["agent"]): r["value"][1]
            for r in query(hub, "probe_success")
        }
        hub_up = query(hub, 'cloudping_hub_agents{transport="quic"}')
        agent_up = query(hub, "cloudping_agent_jobs_total")
    finally:
        hub.lab.stop(prometheus)
        log.close()
    assert up["hub", f"127.0.0.1:{API_PORT}"] == "1"
    for role in AGENT_ROLES.values():
        assert up["agents", f"{hub.lab.addr(role, 4)}:{AGENT_METRICS_PORT}"] == "1"
    assert sum(float(r["value"][1]) for r in hub_up) == len(AGENT_ROLES)
    assert agent_up  # the agents' job counters reached Prometheus
    target = hub.lab.addr("target", 4)
    for agent in AGENT_ROLES:
        assert success["icmp", target, agent] == "1"
        assert success["icmp", hub.lab.blackhole(4), agent] == "0"
        assert success["tcp", f"{target}:{HTTP_PORT}", agent] == "1"
        assert success["tcp", f"{target}:{FILTERED_PORT}", agent] == "0"


def test_promtool_accepts_what_the_hub_and_an_agent_serve(deployment: MetricsLabHub) -> None:
    hub = deployment
    admin = issue_token(hub.data_dir, "ops", "api", "admin")
    target = hub.lab.addr("target", 4)
    assert hub_get(hub, probe_url("icmp", target, "a1"), hub.api_token)[0] == 200  # a job ran
    status, hub_text = hub_get(hub, f"http://127.0.0.1:{API_PORT}/metrics", admin)
    assert status == 200
    agent_url = f"http://{hub.lab.addr('agent', 4)}:{AGENT_METRICS_PORT}/metrics"
    agent_text = hub.lab.run(HUB_ROLE, ["curl", "-sf", agent_url], timeout=10).stdout
    assert "cloudping_agent_jobs_total" in agent_text
    assert promtool_problems(hub_text.encode()) == ""
    assert promtool_problems(agent_text.encode()) == ""


@pytest.fixture(scope="module")
def blackbox(deployment: MetricsLabHub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real blackbox_exporter in a1's namespace with Debian's modules plus dns_udp."""
    config = tmp_path_factory.mktemp("blackbox") / "blackbox.yml"
    config.write_text(BLACKBOX_CONFIG.read_text() + DNS_UDP)
    argv = [
        "prometheus-blackbox-exporter", f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{BLACKBOX_PORT}",
    ]  # fmt: skip
    lab = deployment.lab
    proc = lab.popen("agent", argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lab.wait_listening("agent", BLACKBOX_PORT, timeout=15)
        yield f"http://127.0.0.1:{BLACKBOX_PORT}"
    finally:
        lab.stop(proc)


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("icmp", "{target}"),
        ("icmp_ttl5", "{target}"),
        ("tcp_connect", "{target}:18080"),
        ("http_2xx", "http://{target}:18080/"),
        ("http_post_2xx", "http://{target}:18080/"),
        ("dns_udp", "{target}:53"),
    ],
)
def test_probe_has_blackbox_exporters_names_and_types_for_each_module(
    deployment: MetricsLabHub, blackbox: str, module: str, target: str
) -> None:
    hub = deployment
    target = target.format(target=hub.lab.addr("target", 4))
    theirs_url = f"{blackbox}/probe?" + urllib.parse.urlencode({"module": module, "target": target})
    theirs = hub.lab.run("agent", ["curl", "-sf", theirs_url], timeout=30).stdout
    status, ours = hub_get(hub, probe_url(module, target, "a1"), hub.api_token)
    assert status == 200
    ours_found, theirs_found = names_and_types(ours), names_and_types(theirs)
    assert theirs_found - ours_found == set(), ours
    assert all(name.startswith("probe_icmp_") for name, _ in ours_found - theirs_found)
    ours_success = next(s for f in text_string_to_metric_families(ours) for s in f.samples
                        if s.name == "probe_success")  # fmt: skip
    assert ours_success.labels == {"agent": "a1"}
    assert f"probe_success {ours_success.value:g}" in theirs  # the same verdict
