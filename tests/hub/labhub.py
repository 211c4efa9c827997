"""``cloudping hub`` and two ``cloudping agent`` processes in the network lab, driven through
the hub's HTTP API.

```
agent  a1 --+
            r1 ---- r2: cloudping hub (QUIC 198.18.2.2:47443, API 127.0.0.1:47080)
agent2 a2 --+        |
                     target 198.18.3.2: what the agents measure
```

The hub runs in r2, so the hub-agent traffic crosses r1's forwarding path: a fault there
(:func:`hub_link_loss`) hits that traffic alone and leaves the probes' packets alone. The root
namespace cannot reach the API, so every request is a small httpx client run inside r2
(:data:`CLIENT`); it reads the token from stdin, which keeps it out of process listings.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab import Lab, NftTable, Role, poll_until
from lab.nft import apply
from upprocess import cloudping_argv, issue_token

HUB_ROLE: Role = "r2"
AGENT_ROLES: dict[str, Role] = {"a1": "agent", "a2": "agent2"}
AGENT_PORT = 47443  # UDP (QUIC), on the hub's lab address
WS_PORT = 47444  # TCP (WebSocket over TLS), on the hub's lab address
API_PORT = 47080  # TCP, on r2's loopback
HEARTBEAT_S = 1.0
IDLE_S = 4.0  # a killed agent's jobs end agent_lost this long after it fell silent
SERVED = "198.18.0.0/15,2001:db8::/32"  # the lab ranges, for askers with the private scope
START_TIMEOUT_S = 20.0
REQUEST_TIMEOUT_S = 30.0

# One request: prints the HTTP status, then the body line by line as it arrives.
CLIENT = """
import sys, httpx
method, url, body = sys.argv[1], sys.argv[2], (sys.argv[3:] or [None])[0]
headers = {"Authorization": "Bearer " + sys.stdin.readline().strip()}
if body is not None:
    headers["Content-Type"] = "application/json"
with httpx.Client(timeout=30, trust_env=False) as client:
    with client.stream(method, url, headers=headers, content=body) as answer:
        print(answer.status_code, flush=True)
        for line in answer.iter_lines():
            print(line, flush=True)
"""


def hub_link_loss(lab: Lab, percent: int) -> NftTable:
    """Drop ``percent`` % of the QUIC packets between the agents and the hub, both ways, at r1."""
    rules = [
        f"udp {port} {AGENT_PORT} numgen random mod 100 < {percent} counter drop"
        for port in ("dport", "sport")
    ]
    return apply(lab, "r1", "cp_hub_link_loss", "forward", rules)


class Stream:
    """One API request in r2 whose answer is read line by line as it comes (a reader thread)."""

    def __init__(self, lab: Lab, proc: subprocess.Popen[str]) -> None:
        self._lab, self._proc = lab, proc
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()
        self.status: int | None = None
        self.events: list[dict[str, Any]] = []
        self.arrived: list[float] = []  # time.monotonic() of each event

    def _pump(self) -> None:
        assert self._proc.stdout is not None
        try:
            for line in self._proc.stdout:
                self._lines.put(line.rstrip("\n"))
        except (OSError, ValueError):  # closed under us by close(): nothing more to read
            pass
        self._lines.put(None)

    def next_event(self, deadline: float) -> dict[str, Any] | None:
        """The next event, or ``None`` at the end of the answer.

        Raises:
            AssertionError: nothing came before ``deadline``, or the API refused.
        """
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no event before the deadline; so far: {self.events}") from None
        if line is None:
            return None
        if self.status is None:
            self.status = int(line)
            return self.next_event(deadline)
        assert self.status == 200, f"the API answered {self.status}: {line}"
        event: dict[str, Any] = json.loads(line)
        self.events.append(event)
        self.arrived.append(time.monotonic())
        return event

    def wait_for(self, type_: str, agent: str, timeout: float) -> dict[str, Any]:
        """Read on until an event of ``type_`` from ``agent`` has come; return it."""
        deadline = time.monotonic() + timeout
        while (event := self.next_event(deadline)) is not None:
            if event["type"] == type_ and event.get("agent") == agent:
                return event
        raise AssertionError(f"the stream ended with no {type_} from {agent}: {self.events}")

    def finish(self, timeout: float) -> list[dict[str, Any]]:
        """Read to the end of the answer (bounded); every event of it."""
        deadline = time.monotonic() + timeout
        try:
            while self.next_event(deadline) is not None:
                pass
        finally:
            self.close()
        return self.events

    def close(self) -> None:
        """Stop the client if it still runs (SIGTERM, then SIGKILL: bounded), then its reader.

        Closing twice is harmless.
        """
        self._lab.stop(self._proc)
        self._reader.join(timeout=10)


@dataclass
class LabHub:
    """The hub (in r2) and the agents a1 (in agent) and a2 (in agent2), as processes."""

    lab: Lab
    data_dir: Path
    api_token: str = field(repr=False)
    agent_tokens: dict[str, str] = field(repr=False)
    hub: subprocess.Popen[bytes] | None = None
    agents: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    fingerprint: str = ""
    logs: dict[str, Path] = field(default_factory=dict)  # each process's latest output
    starts: int = 0  # processes started, numbering their log files
    hub_args: tuple[
        str, ...
    ] = ()  # more options of `cloudping hub` (a channel's, --geoip-asn FILE)

    @classmethod
    def create(cls, lab: Lab, data_dir: Path, hub_args: tuple[str, ...] = ()) -> LabHub:
        """Tokens for both agents and an API user allowed the lab's private ranges."""
        agents = {name: issue_token(data_dir, name, "agent") for name in AGENT_ROLES}
        api = issue_token(data_dir, "lab-user", "api", "measure", "private")
        return cls(lab, data_dir, api, agents, hub_args=hub_args)

    @property
    def agent_address(self) -> str:
        """Where agents dial: the hub's lab address, so their packets cross r1."""
        return f"{self.lab.addr(HUB_ROLE, 4)}:{AGENT_PORT}"

    @property
    def ws_url(self) -> str:
        """Where agents behind a UDP block dial: the WebSocket listener, same certificate."""
        return f"wss://{self.ws_address}/agent"

    @property
    def ws_address(self) -> str:
        return f"{self.lab.addr(HUB_ROLE, 4)}:{WS_PORT}"

    def _spawn(self, role: Role, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        self.starts += 1
        log = self.data_dir / f"{name}-{self.starts}.log"
        self.logs[name] = log
        with log.open("wb") as out:  # the child keeps its own descriptor
            proc: subprocess.Popen[bytes] = self.lab.popen(
                role, argv, stdout=out, stderr=subprocess.STDOUT
            )
        return proc

    def start_hub(self) -> None:
        """Start ``cloudping hub`` and return once its API accepts (bounded)."""
        argv = cloudping_argv(
            "hub", "--data-dir", str(self.data_dir), "--agent-listen", self.agent_address,
            "--listen", f"127.0.0.1:{API_PORT}", "--heartbeat", str(HEARTBEAT_S),
            "--idle-timeout", str(IDLE_S), "--agent-ws-listen", self.ws_address, "-v",
            *self.hub_args,
        )  # fmt: skip
        hub = self.hub = self._spawn(HUB_ROLE, "hub", argv)
        log = self.logs["hub"]

        def welcomed() -> bool:  # the API line comes once the API is bound and accepting
            assert hub.poll() is None, f"the hub exited {hub.returncode}: {log.read_text()}"
            return "HTTP API: " in log.read_text()

        poll_until(welcomed, timeout=START_TIMEOUT_S, what="the hub's welcome", every=0.05)
        line = next(x for x in log.read_text().splitlines() if "SHA-256 fingerprint:" in x)
        self.fingerprint = line.split()[-1]

    def stop_hub(self) -> int:
        """SIGTERM the hub; its exit status."""
        assert self.hub is not None
        hub, self.hub = self.hub, None
        return self.lab.stop(hub, timeout=15)

    def start_agent(self, name: str) -> None:
        """Start ``cloudping agent`` NAME in its namespace, pinned to the hub's certificate."""
        token = self.agent_tokens[name]
        self.agents[name] = self.spawn_agent(name, AGENT_ROLES[name], self.agent_address, token)

    def spawn_agent(self, name: str, role: Role, hub: str, token: str) -> subprocess.Popen[bytes]:
        """``cloudping agent --hub HUB`` NAME in ``role``'s namespace (the caller stops it)."""
        argv = cloudping_argv(
            "agent", "--hub", hub, "--name", name, "--token", token,
            "--hub-fingerprint", self.fingerprint, "--serve", SERVED, "-v",
        )  # fmt: skip
        return self._spawn(role, name, argv)

    def ensure_running(self) -> None:
        """Start whatever is not running (the hub, a killed agent); wait until both agents
        are listed."""
        if self.hub is None or self.hub.poll() is not None:
            self.start_hub()
        for name in AGENT_ROLES:
            proc = self.agents.get(name)
            if proc is None or proc.poll() is not None:
                if proc is not None:
                    self.lab.stop(proc)
                self.start_agent(name)
        self.wait_listed(START_TIMEOUT_S)

    def listed(self) -> list[str]:
        """The names ``GET /api/v1/agents`` lists."""
        return [agent["name"] for agent in self.get("/agents")["agents"]]

    def wait_listed(self, timeout: float) -> None:
        """Wait (bounded) until both agents are listed."""
        poll_until(
            lambda: self.listed() == sorted(AGENT_ROLES),
            timeout=timeout,
            what="both agents to be listed by the hub",
            every=0.1,
        )

    def _client(self, method: str, path: str, *body: str) -> list[str]:
        url = f"http://127.0.0.1:{API_PORT}/api/v1{path}"
        return [sys.executable, "-c", CLIENT, method, url, *body]

    def get(self, path: str) -> Any:
        """``GET /api/v1PATH`` as the API user; the JSON answer.

        Raises:
            AssertionError: the answer is not 200.
        """
        done = self.lab.run(
            HUB_ROLE,
            self._client("GET", path),
            timeout=REQUEST_TIMEOUT_S,
            input=self.api_token + "\n",
        )
        status, _, body = done.stdout.partition("\n")
        assert status == "200", f"GET {path} answered {status}: {body}"
        return json.loads(body)

    def stream(self, command: str) -> Stream:
        """``POST /api/v1/measurements`` with ``command``; its NDJSON answer as it comes."""
        body = json.dumps({"command": command})
        proc: subprocess.Popen[str] = self.lab.popen(
            HUB_ROLE,
            self._client("POST", "/measurements", body),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin is not None
        with proc.stdin:
            proc.stdin.write(self.api_token + "\n")
        return Stream(self.lab, proc)

    def measure(self, command: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Run ``command`` through the API; every event of its stream."""
        return self.stream(command).finish(timeout)

    def close(self) -> None:
        """Stop the agents, then the hub."""
        for proc in self.agents.values():
            self.lab.stop(proc)
        if self.hub is not None:
            self.stop_hub()
