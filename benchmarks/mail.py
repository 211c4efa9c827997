"""Mail in -> reply in the IMAP mailbox, for ``ping -c 3`` from two agents, on loopback.

``cloudping up`` (its local agent, plus a ``cloudping agent`` named ``agent2`` on the same
machine serving loopback) runs the mail channel: an SMTP listener, DKIM checks against a
loopback unbound, replies through a real Postfix into a real Dovecot. Each round sends one
DKIM-signed request (smtplib) and polls IMAP (every 5 ms) until the reply is there.

- the reference: the same mail path without cloudping (smtplib -> Postfix -> Dovecot -> IMAP),
  what any mail answer costs here at the least;
- the overhead: the round's wall time minus the measurement's own duration (its ``end``
  event's ``duration_ms``): reading and checking the mail, the hub, drawing the report and
  the pictures, signing, queueing, and the relay's delivery (goal: median under 500 ms).
"""

from __future__ import annotations

import smtplib
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
from channels.email.conftest import HUB_ADDRESS, HUB_SELECTOR, OPS, SENDER_DOMAIN, SENDER_SELECTOR
from channels.email.mails import parsed, request_mail, signed
from channels.email.mailservers import (
    DkimKey,
    Dovecot,
    LoopbackDns,
    Postfix,
    open_directory,
    stop_process,
)
from lab import Lab
from lab.unbound import mail_records
from upprocess import UpProcess, cloudping_argv, free_port, issue_token, start_up, stop

from benchmarks.common import Table, percentile

ROUNDS = 10
COMMAND = "ping -c 3 -i 0.2 -s local,agent2 127.0.0.1"
POLL_S = 0.005
WAIT_S = 30.0


@dataclass
class World:
    up: UpProcess
    data: Path
    smtp_port: int
    postfix: Postfix
    dovecot: Dovecot
    sender_key: DkimKey


def bench(lab: Lab | None = None) -> Table:
    """The table (the lab is not used: everything runs on loopback)."""
    table = Table(f"mail in -> reply in IMAP, {COMMAND!r}, {ROUNDS} rounds (ms)")
    with mail_world() as world:
        reference = [_reference_round(world) for _ in range(ROUNDS)]
        rounds = [_round(world) for _ in range(ROUNDS)]
    walls = [wall for wall, _ in rounds]
    overheads = [wall - measured for wall, measured in rounds]
    table.row("mail path alone (reference)", median=_ms(reference), p95=_p95(reference))
    table.row("cloudping: mail in -> reply", median=_ms(walls), p95=_p95(walls))
    table.row("cloudping: the measurement", median=_ms([m for _, m in rounds]))
    table.row("cloudping: overhead", median=_ms(overheads), p95=_p95(overheads))
    table.note("overhead = wall time - the measurement's duration_ms (goal: median < 500 ms)")
    return table


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _p95(samples: list[float]) -> float:
    return round(percentile(samples, 95) * 1000, 1)


def _wait_reply(world: World, request: EmailMessage) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        for raw in world.dovecot.messages(OPS):
            if parsed(raw)["In-Reply-To"] == request["Message-ID"]:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"no reply to {request['Message-ID']}")
        time.sleep(POLL_S)


def _round(world: World) -> tuple[float, float]:
    request = request_mail(OPS, HUB_ADDRESS, COMMAND)
    raw = signed(request, SENDER_SELECTOR, SENDER_DOMAIN, world.sender_key.private_pem)
    start = time.monotonic()
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=10) as smtp:
        smtp.sendmail(OPS, [HUB_ADDRESS], raw)
    _wait_reply(world, request)
    wall = time.monotonic() - start
    return wall, _last_duration_s(world)


def _reference_round(world: World) -> float:
    """The same kind of mail straight to Postfix: delivered into the mailbox, read over IMAP."""
    message = request_mail(HUB_ADDRESS, OPS, "reference")
    before = len(world.dovecot.messages(OPS))
    start = time.monotonic()
    with smtplib.SMTP("127.0.0.1", world.postfix.port, timeout=10) as smtp:
        smtp.send_message(message)
    deadline = time.monotonic() + WAIT_S
    while len(world.dovecot.messages(OPS)) <= before:
        assert time.monotonic() < deadline, "the reference mail was not delivered"
        time.sleep(POLL_S)
    return time.monotonic() - start


def _last_duration_s(world: World) -> float:
    """The ``end`` event's ``duration_ms`` of the latest measurement, in seconds."""
    import sqlite3  # noqa: PLC0415

    with sqlite3.connect(world.data / "measurements.db") as db:
        [(measurement_id,)] = db.execute(
            "SELECT id FROM measurements ORDER BY created_at DESC LIMIT 1"
        ).fetchall()
    headers = {"Authorization": f"Bearer {world.up.token}"}
    stored = httpx.get(
        f"{world.up.url}/api/v1/measurements/{measurement_id}", headers=headers, timeout=10
    ).json()
    end = stored["events"][-1]
    assert end["type"] == "end", end
    return float(end["duration_ms"]) / 1000


@contextmanager
def mail_world() -> Iterator[World]:
    keys = DkimKey.new(), DkimKey.new()
    records = (
        *mail_records(SENDER_DOMAIN, SENDER_SELECTOR, keys[0].public_b64),
        *mail_records("hub.lab", HUB_SELECTOR, keys[1].public_b64),
    )
    with open_directory("cp-mailbench-") as directory, ExitStack() as stack:
        for sub in ("dns", "dovecot", "postfix", "data"):
            (directory / sub).mkdir()
        dns = LoopbackDns(directory / "dns", records).start()
        stack.callback(dns.stop)
        dovecot = Dovecot(directory / "dovecot", (OPS,)).start()
        stack.callback(dovecot.stop)
        postfix = Postfix(directory / "postfix", (SENDER_DOMAIN,), dovecot.lmtp_port).start()
        stack.callback(postfix.stop)
        key_file = directory / "hub.pem"
        key_file.write_bytes(keys[1].private_pem)
        smtp_port = free_port(socket.SOCK_STREAM)
        data = directory / "data"
        up = start_up(
            data,
            "--mail-address", HUB_ADDRESS,
            "--smtp-listen", f"127.0.0.1:{smtp_port}",
            "--smtp-relay", f"127.0.0.1:{postfix.port}",
            "--mail-dns", dns.address,
            "--mail-scope", "measure,private",
            "--dkim-key", str(key_file),
            "--dkim-selector", HUB_SELECTOR,
            "--dkim-domain", "hub.lab",
        )  # fmt: skip
        stack.callback(stop, up)
        stack.enter_context(_second_agent(up, data))
        yield World(up, data, smtp_port, postfix, dovecot, keys[0])


@contextmanager
def _second_agent(up: UpProcess, data: Path) -> Iterator[None]:
    """``agent2`` on this machine, serving loopback, connected before the first round."""
    line = next(line for line in up.output if "--hub-fingerprint" in line)
    fingerprint = line.split("--hub-fingerprint", 1)[1].split()[0]
    args = list(up.process.args)  # type: ignore[arg-type]
    agent_listen = args[args.index("--agent-listen") + 1]
    token = issue_token(data, "agent2", "agent", issuer=up.url)
    process = subprocess.Popen(
        cloudping_argv(
            "agent", "--hub", str(agent_listen), "--name", "agent2", "--token", token,
            "--hub-fingerprint", fingerprint, "--serve", "127.0.0.0/8",
        ),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + WAIT_S
        while "agent2" not in httpx.get(f"{up.url}/api/v1/agents", timeout=5).text:
            assert time.monotonic() < deadline, "agent2 did not connect"
            time.sleep(0.05)
        yield
    finally:
        stop_process(process)
