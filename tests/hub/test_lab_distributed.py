"""A hub and two agents in three lab namespaces, as real processes, through the HTTP API.

Issue 5's "must show": measurements from both agents at once; an agent killed mid-ping; the
hub restarted under its agents; 30 % loss on the hub-agent link. Every wait is bounded and
waits for something to happen (a line of the stream, the agent list), never for time.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from lab import Lab, poll_until
from lab.nft import apply
from upprocess import issue_token

from cloudping.serve.hub import configure, parser
from cloudping.wire.connection import BUSY_TIMEOUT

from .labhub import (
    AGENT_PORT,
    AGENT_ROLES,
    IDLE_S,
    LabHub,
    Stream,
    hub_link_loss,
)

BOTH = "--from a1,a2"
TARGET = "198.18.3.2"
RECONNECT_BOUND_S = 15.0
LOST_BOUND_S = BUSY_TIMEOUT + 1.0  # a killed busy agent's jobs end this soon after the kill
Events = list[dict[str, Any]]


@pytest.fixture(scope="module")
def labhub(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHub]:
    """The hub and both agents, for this module (each test restarts what an earlier one
    stopped)."""
    running = LabHub.create(lab, tmp_path_factory.mktemp("labhub"))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def hub(labhub: LabHub) -> LabHub:
    """The hub with both agents running and listed."""
    labhub.ensure_running()
    return labhub


def of(events: Events, type_: str, agent: str) -> Events:
    """The events of one type from one agent, in stream order."""
    return [e for e in events if e["type"] == type_ and e.get("agent") == agent]


def probe_seqs(events: Events, agent: str) -> list[int]:
    """The ``seq`` of every reply and timeout of ``agent``, sorted (duplicates kept)."""
    return sorted(
        e["seq"] for e in events if e["type"] in ("reply", "timeout") and e["agent"] == agent
    )


def assert_framed(events: Events, status: str) -> None:
    """``measurement`` first naming both agents, ``end`` last with ``status``, once each."""
    types = [e["type"] for e in events]
    assert types[0] == "measurement"
    assert sorted(events[0]["agents"]) == sorted(AGENT_ROLES)
    assert types[-1] == "end"
    assert types.count("measurement") == types.count("end") == 1
    assert events[-1]["status"] == status, events
    assert {e["agent"] for e in events[1:-1]} <= set(AGENT_ROLES)


def assert_stored(hub: LabHub, events: Events, status: str) -> None:
    """``GET /measurements/{id}`` holds exactly the streamed events, with ``status``."""
    stored = hub.get(f"/measurements/{events[0]['id']}")
    assert stored["status"] == status
    assert stored["events"] == events


def assert_full_ping(events: Events, agent: str, count: int) -> None:
    """Every probe of ``agent`` answered once from the target, and the statistics say so."""
    assert probe_seqs(events, agent) == list(range(1, count + 1))
    assert {e["address"] for e in of(events, "reply", agent)} == {TARGET}
    (summary,) = of(events, "summary", agent)
    assert (summary["sent"], summary["received"]) == (count, count)


def test_ping_traceroute_and_scan_from_both_agents_at_once_reach_the_target(
    hub: LabHub, lab: Lab
) -> None:
    commands = [
        f"ping -c 3 -i 0.2 {BOTH} {TARGET}",
        f"traceroute -q 1 {BOTH} {TARGET}",
        f"scan -W 0.5 {BOTH} 198.18.3.0/29",
    ]
    with ExitStack() as opened:  # every stream closed, whichever one fails
        streams = []
        for command in commands:
            stream = hub.stream(command)
            opened.callback(stream.close)
            streams.append(stream)
        ping, trace, scan = (stream.finish(timeout=30) for stream in streams)
    for events in (ping, trace, scan):
        assert_framed(events, "ok")
        assert_stored(hub, events, "done")
    for agent, role in AGENT_ROLES.items():
        assert_full_ping(ping, agent, 3)
        hops = sorted(of(trace, "hop", agent), key=lambda e: e["ttl"])
        assert [e["probes"][0]["address"] for e in hops] == lab.hops(4, source=role)
        assert [e["reached"] for e in of(trace, "summary", agent)] == [True]
        alive = {e["address"] for e in of(scan, "scan", agent) if e["state"] == "alive"}
        assert alive == {"198.18.3.1", TARGET}  # r2 and the target on that link
        assert [e["alive"] for e in of(scan, "summary", agent)] == [2]


def test_killing_an_agent_mid_ping_ends_its_job_agent_lost_and_the_other_finishes(
    hub: LabHub,
) -> None:
    stream = hub.stream(f"ping -c 20 -i 0.2 {BOTH} {TARGET}")
    try:
        stream.wait_for("reply", "a2", timeout=15)
        hub.agents["a2"].kill()  # SIGKILL: no goodbye, the hub finds out by the silence
        killed_at = time.monotonic()
        hub.agents["a2"].wait(timeout=10)
        lost = stream.wait_for("error", "a2", timeout=LOST_BOUND_S)
        lost_after = _arrival(stream, lost) - killed_at
        events = stream.finish(timeout=30)
    finally:
        stream.close()

    assert_framed(events, "error")
    assert_full_ping(events, "a1", 20)
    assert of(events, "error", "a1") == []
    assert of(events, "error", "a2") == [lost]
    assert (lost["code"], lost.get("reason"), lost["target"]) == (
        "agent_lost",
        "disconnected",
        TARGET,
    )
    a2 = [e for e in events if e.get("agent") == "a2"]
    assert a2[-1] is lost  # nothing of a2 after it
    assert of(events, "summary", "a2") == []
    answered = probe_seqs(events, "a2")
    assert answered == list(range(1, len(answered) + 1))  # in order, none twice
    assert len(answered) < 20
    # The hub probes a busy agent every 0.5 s and gives it up after 2 s of silence: long
    # before the idle timeout (4 s here, 45 s by default) that used to end the job.
    assert lost_after < LOST_BOUND_S < IDLE_S
    assert_stored(hub, events, "failed")


def test_a_frozen_websocket_agent_mid_ping_ends_its_job_agent_lost_within_seconds(
    hub: LabHub, lab: Lab
) -> None:
    token = issue_token(hub.data_dir, "w2", "agent")
    agent = hub.spawn_agent("w2", "agent", hub.ws_url, token)
    try:
        poll_until(lambda: "w2" in hub.listed(), timeout=20, what="w2 listed", every=0.1)
        stream = hub.stream(f"ping -c 20 -i 0.2 --from w2 {TARGET}")
        try:
            stream.wait_for("reply", "w2", timeout=15)
            # SIGSTOP: unlike a kill, its TCP connection stays open; only the silence tells.
            agent.send_signal(signal.SIGSTOP)
            frozen_at = time.monotonic()
            lost = stream.wait_for("error", "w2", timeout=LOST_BOUND_S)
            lost_after = _arrival(stream, lost) - frozen_at
            events = stream.finish(timeout=30)
        finally:
            stream.close()
    finally:
        agent.kill()  # a stopped process ends on SIGKILL
        lab.stop(agent)
    assert (lost["code"], lost.get("reason")) == ("agent_lost", "disconnected")
    assert BUSY_TIMEOUT - 1.0 < lost_after < LOST_BOUND_S
    assert events[-1]["status"] == "error"


def _arrival(stream: Stream, event: dict[str, Any]) -> float:
    return stream.arrived[next(i for i, e in enumerate(stream.events) if e is event)]


def test_agents_come_back_by_themselves_after_a_hub_restart(hub: LabHub) -> None:
    pids = {name: proc.pid for name, proc in hub.agents.items()}
    fingerprint = hub.fingerprint
    stopped_at = time.monotonic()
    assert hub.stop_hub() == 0  # SIGTERM: a graceful stop
    hub.start_hub()  # the same data directory and port
    hub.wait_listed(timeout=RECONNECT_BOUND_S)

    assert time.monotonic() - stopped_at < RECONNECT_BOUND_S  # the hub's own start included
    assert hub.fingerprint == fingerprint  # the certificate the agents pinned is kept
    assert {name: proc.pid for name, proc in hub.agents.items()} == pids
    assert all(proc.poll() is None for proc in hub.agents.values())
    events = hub.measure(f"ping -c 3 -i 0.2 {BOTH} {TARGET}")
    assert_framed(events, "ok")
    for agent in AGENT_ROLES:
        assert_full_ping(events, agent, 3)
    assert_stored(hub, events, "done")


def test_a_ping_completes_exactly_with_30_percent_loss_on_the_hub_agent_link(
    hub: LabHub, lab: Lab
) -> None:
    with hub_link_loss(lab, 30) as fault:
        events = hub.measure(f"ping -c 8 -i 0.2 {BOTH} {TARGET}", timeout=60)
        dropped = fault.packets()

    assert dropped > 0  # the fault really hit the hub-agent traffic
    assert_framed(events, "ok")
    for agent in AGENT_ROLES:
        # The probes' own path has no loss: every seq once, as a reply (no duplicate, no gap).
        assert_full_ping(events, agent, 8)
        assert next(e["type"] for e in events if e.get("agent") == agent) == "start"
    assert_stored(hub, events, "done")


def test_an_agent_behind_a_udp_block_runs_its_jobs_over_websocket_across_a_hub_restart(
    hub: LabHub, lab: Lab
) -> None:
    # The target's namespace can send no UDP to the hub: a QUIC agent there never gets in,
    # the same agent dialling wss:// on TCP does, and measures as any other.
    tokens = {name: issue_token(hub.data_dir, name, "agent") for name in ("q1", "w1")}
    rule = f"udp dport {AGENT_PORT} counter drop"
    with apply(lab, "target", "cp_udp_block", "output", [rule]) as block:
        quic = hub.spawn_agent("q1", "target", hub.agent_address, tokens["q1"])
        ws = hub.spawn_agent("w1", "target", hub.ws_url, tokens["w1"])
        try:
            poll_until(lambda: "w1" in hub.listed(), timeout=20, what="w1 listed", every=0.1)
            poll_until(lambda: block.packets() > 0, timeout=10, what="q1's QUIC dropped")
            agent_address = lab.addr("agent", 4)
            events = hub.measure(f"ping -c 3 -i 0.2 --from w1 {agent_address}")
            assert "q1" not in hub.listed()
            # A hub restart: the WebSocket agent comes back by itself too, and measures.
            assert hub.stop_hub() == 0
            hub.start_hub()
            poll_until(
                lambda: "w1" in hub.listed(),
                timeout=RECONNECT_BOUND_S,
                what="w1 back after the hub restart",
                every=0.1,
            )
            assert ws.poll() is None  # the same process, reconnected
            again = hub.measure(f"ping -c 2 -i 0.2 --from w1 {agent_address}")
        finally:
            lab.stop(quic)
            lab.stop(ws)
    assert (events[0]["type"], events[-1]["type"]) == ("measurement", "end")
    assert events[0]["agents"] == ["w1"]
    assert events[-1]["status"] == "ok"
    replies = [e for e in events if e["type"] == "reply"]
    assert sorted(e["seq"] for e in replies) == [1, 2, 3]
    assert {e["address"] for e in replies} == {agent_address}
    assert_stored(hub, events, "done")
    assert sorted(e["seq"] for e in again if e["type"] == "reply") == [1, 2]
    assert again[-1]["status"] == "ok"
    poll_until(lambda: "w1" not in hub.listed(), timeout=10, what="w1 gone", every=0.1)


def test_cloudping_hub_takes_the_liveness_contract_from_its_options(tmp_path: Path) -> None:
    words = ["--data-dir", str(tmp_path), "--agent-listen", "127.0.0.1:1"]
    settings, _ = configure(
        parser().parse_args([*words, "--heartbeat", "2", "--idle-timeout", "7"])
    )
    assert (settings.liveness.heartbeat_interval_s, settings.liveness.idle_timeout_s) == (2, 7)
    default, _ = configure(parser().parse_args(words))
    assert (default.liveness.heartbeat_interval_s, default.liveness.idle_timeout_s) == (15, 45)
    with pytest.raises(ValueError, match="--heartbeat < --idle-timeout"):
        configure(parser().parse_args([*words, "--heartbeat", "9", "--idle-timeout", "3"]))
