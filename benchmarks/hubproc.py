"""Child processes of the hub benchmarks: the hub itself, line-driven drivers, /proc readings,
what the benchmarks and their children share (agent names, reading an event stream), and how
the benchmarks start them in the lab (:class:`LabChildren`).

``python -m benchmarks.hubproc [--max-jobs N] [--per-hour N] -- HUB-OPTIONS...`` runs
``cloudping hub`` with the same options and code path (``configure`` then ``serve``), plus
two bounds that are settings, not flags: ``HubSettings.max_jobs`` and the API's user
``Quota`` (both 50 jobs per measurement by default; 120 measurements an hour). The scale
benchmark fans one ping out to 200 agents and runs hundreds of measurements.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # the children run without tests/ on sys.path
    from lab import Lab, Role

ROOT = Path(__file__).resolve().parent.parent
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE_KIB = os.sysconf("SC_PAGESIZE") // 1024
WELCOME_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
FAN_TAG = "fan"
"""The tag the swarm's first agents carry (``ping ... from fan`` selects them)."""


def agent_name(n: int) -> str:
    """The name of the swarm's simulated agent ``n`` (from 1)."""
    return f"sim-{n:04d}"


@dataclass(frozen=True, slots=True)
class Usage:
    """What /proc says a process has used so far: resident memory and CPU seconds."""

    rss_kib: int
    cpu_s: float

    @classmethod
    def of(cls, pid: int) -> Usage:
        """Read ``/proc/PID/stat`` (utime + stime in clock ticks) and ``/proc/PID/statm``."""
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # After the ")": field 3 (state) is index 0, so utime (14) and stime (15) are 11, 12.
        cpu = (int(stat[11]) + int(stat[12])) / _CLK_TCK
        resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        return cls(rss_kib=resident_pages * _PAGE_KIB, cpu_s=cpu)


@dataclass(frozen=True, slots=True)
class Welcome:
    """What ``cloudping hub`` prints before it serves: the agents' port, the pin, the API."""

    agent_port: int
    fingerprint: str
    api_url: str


def read_welcome(proc: subprocess.Popen[str], timeout: float = WELCOME_TIMEOUT_S) -> Welcome:
    """Read the hub's welcome text up to its ``HTTP API:`` line (bounded by ``timeout``).

    Raises:
        RuntimeError: the hub exited first.
        TimeoutError: it stayed silent.
    """
    assert proc.stdout is not None
    port, pin = 0, ""
    deadline = time.monotonic() + timeout
    with LineReader(proc.stdout) as lines:
        while (line := lines.readline(deadline - time.monotonic())) is not None:
            if line.startswith("cloudping hub: agents dial udp "):
                port = int(line.rsplit(":", 1)[1])
            elif line.startswith("SHA-256 fingerprint: "):
                pin = line.split()[-1]
            elif line.startswith("HTTP API: "):
                url = line.split()[2].removesuffix("/api/v1")
                return Welcome(agent_port=port, fingerprint=pin, api_url=url)
    raise RuntimeError(f"the hub exited ({proc.poll()}) before printing its API address")


def take(result: dict[str, Any], event: dict[str, Any], at_ms: float) -> None:
    """Fold one event of a measurement's stream, arrived ``at_ms`` after the request began,
    into ``result`` (event counts by type, RTTs, probe times, first and end times)."""
    kind = event["type"]
    result["types"][kind] += 1
    if kind == "measurement":
        result["first_ms"] = at_ms
    elif kind == "reply" and not event.get("icmp_error"):
        result["rtts"].append(event["rtt_ms"])
    elif kind == "summary":
        result["probe_ms"].append(event["duration_ms"])
    elif kind == "error":
        result.setdefault("error", event.get("message"))
    elif kind == "end":
        result["end_ms"] = at_ms
        result["hub_ms"] = event["duration_ms"]


class LineReader:
    """Lines of a child's output, each waited for at most a given time.

    Reads the descriptor itself: a text wrapper's own buffer may already hold the next lines
    while ``select`` says nothing more is coming.
    """

    def __init__(self, stream: IO[Any]) -> None:
        self._fd = stream.fileno()
        self._pending = bytearray()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)

    def readline(self, timeout: float) -> str | None:
        """The next line without its newline; ``None`` at EOF.

        Raises:
            TimeoutError: no whole line within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while (end := self._pending.find(b"\n")) < 0:
            if not self._selector.select(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"no line from the child within {timeout:g} s")
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                return None
            self._pending += chunk
        line = bytes(self._pending[:end])
        del self._pending[: end + 1]
        return line.decode()

    def __enter__(self) -> LineReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._selector.close()


class Driver:
    """A child that answers each JSON line on its stdin with one JSON line on its stdout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdin is not None
        assert proc.stdout is not None
        self.proc = proc
        self._stdin: IO[str] = proc.stdin
        self._lines = LineReader(proc.stdout)

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send ``request``; return the answer (``TimeoutError`` after ``timeout`` s)."""
        self._stdin.write(json.dumps(request) + "\n")
        self._stdin.flush()
        line = self._lines.readline(timeout)
        if line is None:
            raise RuntimeError(f"pid {self.proc.pid} exited ({self.proc.wait(5)})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        """Close its stdin: a driver leaves at EOF (the caller still stops it by PID)."""
        self._lines.__exit__()
        self._stdin.close()


async def stdin_lines() -> AsyncIterator[str]:
    """This process's stdin, line by line, read on the event loop (cancellable, unlike a
    thread blocked in ``readline``), until EOF."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        yield line.decode()


def issue_token(data_dir: Path, *words: str) -> str:
    """A token from ``cloudping token issue`` with the hub's data directory (its key)."""
    argv = [sys.executable, "-m", "cloudping", "token", "issue", "--data-dir", str(data_dir)]
    done = subprocess.run(
        [*argv, *words], capture_output=True, text=True, timeout=WELCOME_TIMEOUT_S, check=True
    )
    return done.stdout.strip()


def module_argv(module: str, *args: str) -> list[str]:
    """``python -m benchmarks.MODULE ARGS...`` (run with ``cwd=ROOT``)."""
    return [sys.executable, "-m", f"benchmarks.{module}", *args]


def bench_env(**extra: str) -> dict[str, str]:
    """The environment for a child: ours without CLOUDPING_*, plus ``extra``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPING_")}
    return clean | extra


def cloudping_argv(*words: str) -> list[str]:
    """``python -m cloudping WORDS...`` with this interpreter."""
    return [sys.executable, "-m", "cloudping", *words]


def api_token(data_dir: Path) -> str:
    """A token for the API client: it measures, private (lab) targets included."""
    scopes = ("--scope", "measure", "--scope", "private")
    return issue_token(data_dir, "--sub", "bench", "--aud", "api", *scopes)


class LabChildren:
    """The benchmark's processes in lab namespaces, stopped by PID, the last started first,
    when the block ends.

    Args:
        lab: the lab whose namespaces they run in.
        stop_timeout: seconds from SIGTERM to SIGKILL for each.
    """

    def __init__(self, lab: Lab, *, stop_timeout: float = STOP_TIMEOUT_S) -> None:
        self._lab, self._stop_timeout = lab, stop_timeout
        self._procs: list[subprocess.Popen[str]] = []

    def start(self, role: Role, argv: Sequence[str], **popen: Any) -> subprocess.Popen[str]:
        """Start ``argv`` in the namespace of ``role`` (text mode, in the checkout, with
        :func:`bench_env`, unless ``popen`` says otherwise)."""
        options: dict[str, Any] = {"cwd": ROOT, "text": True, "env": bench_env()} | popen
        proc: subprocess.Popen[str] = self._lab.popen(role, argv, **options)
        self._procs.append(proc)
        return proc

    def start_hub(
        self, role: Role, data_dir: Path, *, agents: str, api: str, bounds: Sequence[str] = ()
    ) -> tuple[subprocess.Popen[str], Welcome]:
        """``cloudping hub`` with its agents' and API's addresses, or with ``bounds`` this
        module's hub (``--max-jobs N --per-hour N``); once it printed its welcome."""
        words = ["--data-dir", str(data_dir), "--agent-listen", agents, "--listen", api]
        if bounds:
            argv = module_argv("hubproc", *bounds, "--", *words)
        else:
            argv = cloudping_argv("hub", *words)
        hub = self.start(role, argv, stdout=subprocess.PIPE)
        return hub, read_welcome(hub)

    def driver(self, role: Role, argv: Sequence[str], **env: str) -> Driver:
        """A line-driven child (``python -m benchmarks.MODULE``), ``env`` added to its
        environment."""
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
        return Driver(self.start(role, argv, env=bench_env(**env), **pipes))

    def api_client(self, role: Role, welcome: Welcome, data_dir: Path) -> tuple[Driver, str]:
        """``benchmarks.apiclient`` on the hub's API with a token of :func:`api_token`; the
        driver and the token."""
        token = api_token(data_dir)
        argv = module_argv("apiclient", welcome.api_url)
        return self.driver(role, argv, CLOUDPING_TOKEN=token), token

    def __enter__(self) -> LabChildren:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for proc in reversed(self._procs):
            self._lab.stop(proc, self._stop_timeout)


def main(argv: Sequence[str]) -> int:
    """Run a hub with the benchmark's bounds (see the module docstring)."""
    # Imported here: `benchmarks/run.py` imports this module with benchmarks/ first on
    # sys.path, where http.py and dns.py hide the packages the hub needs.
    from cloudping.serve.hub import configure, parser, run_service, serve  # noqa: PLC0415
    from cloudping.service import Quota  # noqa: PLC0415

    ours = argparse.ArgumentParser(prog="python -m benchmarks.hubproc")
    ours.add_argument("--max-jobs", type=int, default=50, help="jobs in one measurement")
    ours.add_argument("--per-hour", type=int, default=120, help="measurements per hour")
    ours.add_argument("hub", nargs=argparse.REMAINDER, help="-- then cloudping hub's options")
    args = ours.parse_args(argv)
    hub_words = args.hub[1:] if args.hub[:1] == ["--"] else args.hub
    settings, api = configure(parser().parse_args(hub_words))
    quota = Quota(args.per_hour, args.max_jobs)
    settings = dataclasses.replace(
        settings, hub=dataclasses.replace(settings.hub, max_jobs=args.max_jobs)
    )
    if api is not None:
        api = dataclasses.replace(api, settings=dataclasses.replace(api.settings, user_quota=quota))
    return run_service("benchmarks.hubproc", serve(settings, api=api))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
