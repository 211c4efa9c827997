"""/probe and /metrics beside blackbox_exporter, on the lab (``run.py probe``).

The hub in r2 with agent a1 in ``agent``; prometheus-blackbox-exporter in ``agent`` too, so
both probe the target from the same place. Each side is asked by a client in its own
namespace, alternating, N times per module: the wall time of one scrape (what Prometheus
waits for), medians and p95; and one ``/metrics`` scrape of each, with its size.
cloudping's answer crosses two more hops (Prometheus -> hub -> agent and back): the ratio
prices the distribution.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

from hub.labhub import API_PORT, HUB_ROLE, LabHub
from lab import Lab
from upprocess import issue_token

from benchmarks.common import Table, percentile

ROUNDS = 3
PER_ROUND = 20
BLACKBOX_PORT = 49116
TCP_PORT = 18081
BLACKBOX_CONFIG = Path("/etc/prometheus/blackbox.yml")

# N GETs with a bearer token read from stdin; prints their wall times (ms) and the last body.
CLIENT = """
import json, sys, time, httpx
url, n = sys.argv[1], int(sys.argv[2])
token = sys.stdin.readline().strip()
headers = {"Authorization": "Bearer " + token} if token else {}
times, body = [], ""
with httpx.Client(timeout=30, trust_env=False) as client:
    for _ in range(n):
        start = time.perf_counter()
        answer = client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, answer.text
        body = answer.text
print(json.dumps({"ms": times, "body": body}))
"""


def _get(lab: Lab, role: str, url: str, n: int, token: str = "") -> tuple[list[float], str]:
    done = lab.run(role, [sys.executable, "-c", CLIENT, url, str(n)],  # type: ignore[arg-type]
                   timeout=300, input=token + "\n")  # fmt: skip
    found = json.loads(done.stdout)
    return found["ms"], found["body"]


def bench(lab: Lab) -> Table:
    table = Table("/probe (hub -> agent a1) vs blackbox_exporter (in a1's namespace), per scrape")
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        hub = LabHub.create(lab, directory / "hub")
        admin = issue_token(hub.data_dir, "ops", "api", "admin")
        config = directory / "blackbox.yml"
        config.write_text(BLACKBOX_CONFIG.read_text())
        target = lab.addr("target", 4)
        server = [sys.executable, "-m", "http.server", str(TCP_PORT), "--bind", target]
        listener = lab.popen(
            "target", server, cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        blackbox = lab.popen("agent", [
            "prometheus-blackbox-exporter", f"--config.file={config}",
            f"--web.listen-address=127.0.0.1:{BLACKBOX_PORT}",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            lab.wait_listening("agent", BLACKBOX_PORT, timeout=15)
            lab.wait_listening("target", TCP_PORT, timeout=15)
            hub.ensure_running()
            for module, probed in (("icmp", target), ("tcp_connect", f"{target}:{TCP_PORT}")):
                _compare(table, hub, module, probed)
            ours_ms, ours = _get(lab, HUB_ROLE, f"http://127.0.0.1:{API_PORT}/metrics", 20, admin)
            theirs_ms, theirs = _get(lab, "agent", f"http://127.0.0.1:{BLACKBOX_PORT}/metrics", 20)
            table.row("/metrics: hub (admin token)", median_ms=percentile(ours_ms, 50),
                      bytes=len(ours))  # fmt: skip
            table.row("/metrics: blackbox_exporter", median_ms=percentile(theirs_ms, 50),
                      bytes=len(theirs))  # fmt: skip
        finally:
            hub.close()
            lab.stop(blackbox)
            lab.stop(listener)
    table.note(f"{ROUNDS} alternating rounds of {PER_ROUND} sequential scrapes per side; "
               "wall time at the client, ms")  # fmt: skip
    return table


def _compare(table: Table, hub: LabHub, module: str, target: str) -> None:
    lab = hub.lab
    ours_q = urllib.parse.urlencode({"module": module, "target": target, "from": "a1"})
    theirs_q = urllib.parse.urlencode({"module": module, "target": target})
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(ROUNDS):
        theirs += _get(lab, "agent", f"http://127.0.0.1:{BLACKBOX_PORT}/probe?{theirs_q}",
                       PER_ROUND)[0]  # fmt: skip
        ours += _get(lab, HUB_ROLE, f"http://127.0.0.1:{API_PORT}/probe?{ours_q}",
                     PER_ROUND, hub.api_token)[0]  # fmt: skip
    for name, samples in ((f"{module}: blackbox_exporter", theirs), (f"{module}: /probe", ours)):
        table.row(name, median_ms=percentile(samples, 50), p95_ms=percentile(samples, 95))
    table.note(f"{module}: ratio of medians /probe / blackbox = "
               f"{percentile(ours, 50) / percentile(theirs, 50):.2f}")  # fmt: skip
