"""What the settings and the log formats cost, beside what they stand on: argparse alone
parsing the same flags, and the standard library's plain log formatter.

Needs no lab (each table takes it only to fit :mod:`benchmarks.run`); alternating rounds,
medians per call.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import Table
from cloudping.serve import hub
from cloudping.settings import add_settings_options, resolve
from cloudping.settings.logs import TEXT_FORMAT, JsonLogFormatter, TextLogFormatter

ROUNDS, CALLS = 7, 200
FLAGS = [
    "--data-dir", "/var/lib/cloudping", "--agent-listen", "0.0.0.0:8443", "--listen",
    "127.0.0.1:8080", "--allowed-host", "hub.example.net", "--retention-days", "90", "-v",
]  # fmt: skip
FILE = """data_dir = "/var/lib/cloudping"
listen = "127.0.0.1:8080"
allowed_host = ["hub.example.net"]
retention_days = 90
verbose = true
[agent]
listen = "0.0.0.0:8443"
"""


def per_call_us(work: Callable[[], Any]) -> float:
    """Microseconds per call of ``work`` over one batch."""
    start = time.perf_counter()
    for _ in range(CALLS):
        work()
    return (time.perf_counter() - start) / CALLS * 1e6


def medians(works: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """The median per-call time of each, rounds alternating between them."""
    samples: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(ROUNDS):
        for name, work in works.items():
            samples[name].append(per_call_us(work))
    return {name: statistics.median(times) for name, times in samples.items()}


def parse_table(lab: object = None) -> Table:
    """argparse alone, then the settings on the same flags, then on a file."""
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "hub.toml"
        config.write_text(FILE, encoding="utf-8")
        parser = hub.parser()
        add_settings_options(parser)
        times = medians(
            {
                "argparse, flags": lambda: parser.parse_args(FLAGS),
                "settings, flags": lambda: resolve(parser, FLAGS, {}),
                "settings, file": lambda: resolve(parser, ["--config", str(config)], {}),
            }
        )
    table = Table("settings: cloudping hub's options (per parse)")
    base = times["argparse, flags"]
    for name, us in times.items():
        table.row(name, us_per_parse=us, ratio=us / base)
    table.note("once per process start; the interpreter's start-up is ~30 ms, imports ~0.3 s")
    return table


def log_table(lab: object = None) -> Table:
    """The standard library's formatter, then ours (text and JSON, both scrubbed)."""
    record = logging.LogRecord(
        "cloudping.hub.tracker", logging.INFO, __file__, 1,
        "measurement %s ended: %s", ("01a253e73e2ddbe8c017cbaa", "done"), None,
    )  # fmt: skip
    record.measurement, record.status = "01a253e73e2ddbe8c017cbaa", "done"
    plain, text, json_ = logging.Formatter(TEXT_FORMAT), TextLogFormatter(), JsonLogFormatter()
    times = medians(
        {
            "stdlib Formatter": lambda: plain.format(record),
            "text (scrubbed)": lambda: text.format(record),
            "json (scrubbed)": lambda: json_.format(record),
        }
    )
    table = Table("logs: one line formatted")
    base = times["stdlib Formatter"]
    for name, us in times.items():
        table.row(name, us_per_line=us, ratio=us / base)
    return table


if __name__ == "__main__":
    parse_table().print()
    log_table().print()
