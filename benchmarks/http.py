"""cloudping http versus curl -w: phase timings against the same Caddy, same run, alternating.

HTTP/1.1 and HTTP/2 over TLS: every round runs curl once and cloudping once, to
``https://www.lab:4443/`` on the target (the name comes from the agent's hosts file, so both
resolve it). cloudping is timed in-process by a driver that stays up between requests, so
interpreter start-up does not count; every request still opens its own connection, as a
curl process does. HTTP/3 (curl 7.88 cannot) is cloudping alone, in the same rounds as the
HTTP/2 figures it is printed beside, and beside aioquic's own HTTP/3 client (the reference
where curl has none). Medians of ``ROUNDS`` rounds after ``WARMUP`` discarded.

curl's ``-w`` times are cumulative; they are turned into cloudping's phases: dns =
time_namelookup, connect = time_connect - time_namelookup, tls = time_appconnect -
time_connect, ttfb = time_starttransfer, total = time_total.
"""

from __future__ import annotations

import json
import selectors
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lab import Lab
from lab.pki import LabPki
from lab.servers import HTTPS_PORT, WWW, Caddy

from benchmarks.common import Table, percentile

ROUNDS = 25
WARMUP = 3
PHASES = ("dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "total_ms")
URL = f"https://{WWW}:{HTTPS_PORT}/"
CURL_FORMAT = (
    '{"n": %{time_namelookup}, "c": %{time_connect}, "a": %{time_appconnect}, '
    '"s": %{time_starttransfer}, "t": %{time_total}, "v": "%{http_version}"}'
)
_REPLY_TIMEOUT = 30.0
# Reads "VERSION CA URL" lines, answers each with the request's timings as one JSON line.
# VERSION "3-aioquic" is the HTTP/3 reference: aioquic's own client (its asyncio connect and
# H3Connection, as its examples/http3_client.py), timed around its events.
DRIVER = """
import asyncio, dataclasses, json, socket, sys, time
from pathlib import Path
from urllib.parse import urlsplit
from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from cloudping.commands import from_json, parse_args, to_json
from cloudping.probes.http import probe as http
from cloudping.probes.env import ProbeEnv

class H3Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.first = None
        self.done = asyncio.get_running_loop().create_future()

    def quic_event_received(self, event):
        for h3_event in self.h3.handle_event(event):
            if isinstance(h3_event, HeadersReceived) and self.first is None:
                self.first = time.perf_counter()
            if isinstance(h3_event, (HeadersReceived, DataReceived)) and h3_event.stream_ended:
                if not self.done.done():
                    self.done.set_result(time.perf_counter())

async def aioquic_get(ca, url):
    parts = urlsplit(url)
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=parts.hostname)
    config.load_verify_locations(ca)
    start = time.perf_counter()
    loop = asyncio.get_running_loop()
    info = await loop.getaddrinfo(parts.hostname, parts.port, family=socket.AF_INET)
    resolved = time.perf_counter()
    address, port = info[0][4][0], parts.port
    async with connect(address, port, configuration=config, create_protocol=H3Client) as client:
        shaken = time.perf_counter()
        stream = client._quic.get_next_available_stream_id()
        authority = parts.netloc.encode()
        headers = [(b":method", b"GET"), (b":scheme", b"https"), (b":authority", authority),
                   (b":path", b"/")]
        client.h3.send_headers(stream, headers, end_stream=True)
        client.transmit()
        end = await client.done
    ms = lambda a, b: (b - a) * 1000
    return {"dns_ms": ms(start, resolved), "connect_ms": ms(resolved, shaken), "tls_ms": 0.0,
            "ttfb_ms": ms(start, client.first), "total_ms": ms(start, end), "v": "HTTP/3",
            "error": None}

async def main():
    async with ProbeEnv() as env:
        for line in sys.stdin:
            version, ca, url = line.split()
            if version == "3-aioquic":
                print(json.dumps(await aioquic_get(ca, url)), flush=True)
                continue
            words = parse_args(["http", "-4", "--http", version, url])
            cmd = from_json({**to_json(words), "ca_pem": Path(ca).read_text()})
            [event] = await http.run(cmd, env, lambda event: None)
            sample = dataclasses.asdict(event.timings)
            sample.update(v=event.http_version, error=event.error)
            print(json.dumps(sample), flush=True)

asyncio.run(main())
"""

Sample = dict[str, Any]


def bench(lab: Lab) -> Table:
    """Run the rounds and tabulate the medians of each phase."""
    with _caddy(lab) as ca_file, _driver(lab) as ask:
        samples: dict[str, list[Sample]] = {key: [] for key in _ROWS}
        for n in range(WARMUP + ROUNDS):
            round_samples = _round(lab, ca_file, ask)
            if n >= WARMUP:
                for key, sample in round_samples.items():
                    samples[key].append(sample)
    return _table(samples)


_ROWS = ("1.1 curl", "1.1 cloudping", "2 curl", "2 cloudping", "3 aioquic", "3 cloudping")


def _round(lab: Lab, ca_file: str, ask: Any) -> dict[str, Sample]:
    got = {
        "1.1 curl": _curl(lab, ca_file, "--http1.1"),
        "1.1 cloudping": ask("1.1", ca_file),
        "2 curl": _curl(lab, ca_file, "--http2"),
        "2 cloudping": ask("2", ca_file),
        "3 aioquic": ask("3-aioquic", ca_file),
        "3 cloudping": ask("3", ca_file),
    }
    for key, sample in got.items():
        if sample.get("error"):
            raise RuntimeError(f"{key}: {sample['error']}")
    return got


def _curl(lab: Lab, ca_file: str, flag: str) -> Sample:
    argv = ["curl", "-4", "-s", "-o", "/dev/null", "--cacert", ca_file, flag, "-w", CURL_FORMAT]
    raw = json.loads(lab.run("agent", [*argv, URL], timeout=_REPLY_TIMEOUT).stdout)
    return {
        "dns_ms": raw["n"] * 1000,
        "connect_ms": (raw["c"] - raw["n"]) * 1000,
        "tls_ms": (raw["a"] - raw["c"]) * 1000,
        "ttfb_ms": raw["s"] * 1000,
        "total_ms": raw["t"] * 1000,
        "v": raw["v"],
    }


@contextmanager
def _caddy(lab: Lab) -> Iterator[str]:
    """Caddy on the target and ``www.lab`` in the agent's hosts file; yields the CA file."""
    with tempfile.TemporaryDirectory(prefix="cloudping-http-bench-") as scratch:
        pki = LabPki(Path(scratch) / "pki")
        addresses = (lab.addr("target", 4), lab.addr("target", 6))
        caddy = Caddy(lab, Path(scratch) / "caddy", pki, addresses)
        hosts = lab.etc_dir("agent") / "hosts"
        before = hosts.read_text()
        try:
            hosts.write_text(before + f"{addresses[0]} {WWW}\n")
            caddy.start()
            yield str(pki.ca_file)
        finally:
            caddy.stop()
            hosts.write_text(before)


@contextmanager
def _driver(lab: Lab) -> Iterator[Any]:
    """The in-process driver in the agent namespace; yields ``ask(version, ca) -> sample``."""
    proc = lab.popen(
        "agent",
        [sys.executable, "-c", DRIVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)

    def ask(version: str, ca_file: str) -> Sample:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(f"{version} {ca_file} {URL}\n")
        proc.stdin.flush()
        if not selector.select(_REPLY_TIMEOUT):
            raise TimeoutError(f"the driver did not answer in {_REPLY_TIMEOUT:g} s")
        sample: Sample = json.loads(proc.stdout.readline())
        return sample

    try:
        yield ask
    finally:
        selector.close()
        lab.stop(proc)


def _table(samples: dict[str, list[Sample]]) -> Table:
    table = Table(
        f"http: cloudping vs curl -w, https://{WWW} on the lab target (Caddy), "
        f"median of {ROUNDS} alternating rounds, ms"
    )
    for key in _ROWS:
        version, tool = key.split()
        rows = samples[key]
        figures = {phase: statistics.median(s[phase] for s in rows) for phase in PHASES}
        figures["ttfb_p95"] = percentile([s["ttfb_ms"] for s in rows], 95)
        table.row(f"HTTP/{version} {tool}", **figures)
    for version in ("1.1", "2"):
        table.note(f"HTTP/{version} cloudping / curl: {_ratios(samples, version)}")
    table.note(f"HTTP/3 cloudping / aioquic's client: {_h3_ratios(samples)}")
    table.note("aioquic's connect is its whole QUIC handshake (cloudping's connect + tls)")
    seen = {key: {s["v"] for s in rows} for key, rows in samples.items()}
    table.note(f"versions seen: {json.dumps({k: sorted(v) for k, v in seen.items()})}")
    table.note("cloudping in-process (no interpreter start-up); every request a new connection")
    return table


def _ratios(samples: dict[str, list[Sample]], version: str) -> str:
    """Each timed phase's median, cloudping over curl, and the difference in ms."""
    words = []
    for phase in ("connect_ms", "tls_ms", "ttfb_ms", "total_ms"):
        ours = statistics.median(s[phase] for s in samples[f"{version} cloudping"])
        theirs = statistics.median(s[phase] for s in samples[f"{version} curl"])
        ratio = ours / theirs if theirs else float("inf")
        words.append(f"{phase.removesuffix('_ms')} {ratio:.2f}x ({ours - theirs:+.3f} ms)")
    return ", ".join(words)


def _h3_ratios(samples: dict[str, list[Sample]]) -> str:
    """HTTP/3: the handshake (connect + tls), ttfb and total, cloudping over aioquic's client."""
    words = []
    for name, phases in (("handshake", ("connect_ms", "tls_ms")), ("ttfb", ("ttfb_ms",)),
                         ("total", ("total_ms",))):  # fmt: skip
        ours = statistics.median(sum(s[p] for p in phases) for s in samples["3 cloudping"])
        theirs = statistics.median(sum(s[p] for p in phases) for s in samples["3 aioquic"])
        words.append(f"{name} {ours / theirs:.2f}x ({ours - theirs:+.3f} ms)")
    return ", ".join(words)
