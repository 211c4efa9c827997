"""The relay down, then up: the reply waits in the outbound queue in the data directory, also
across a hub restart, and arrives once the relay is back."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from upprocess import free_port, start_up, stop

from .conftest import OPS, MailWorld
from .mailservers import Postfix, open_directory
from .test_roundtrip import PING, hub_options, reply_to, signed_request, swaks

QUEUE_WAIT_S = 20.0


def queued(data: Path) -> list[dict[str, object]]:
    """The outbound queue's entries (their envelope and schedule files)."""
    return [json.loads(path.read_text()) for path in (data / "mail-outbox").glob("*.json")]


def wait_queued_and_tried(data: Path) -> None:
    """Until a reply waits in the queue after a failed attempt (bounded)."""
    deadline = time.monotonic() + QUEUE_WAIT_S
    while not any(int(str(entry["attempts"])) >= 1 for entry in queued(data)):
        assert time.monotonic() < deadline, "no reply waited in the outbound queue"
        time.sleep(0.05)


def test_a_reply_waits_for_the_relay_across_a_hub_restart(
    mail_world: MailWorld, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    relay_port, smtp_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    options = hub_options(mail_world, smtp_port, relay_port)
    up = start_up(data, *options)
    try:
        request, raw = signed_request(mail_world, PING)
        before = len(mail_world.dovecot.messages(OPS))
        swaks(smtp_port, OPS, raw)
        wait_queued_and_tried(data)  # nothing listens on the relay's port
    finally:
        stop(up)
    assert len(queued(data)) == 1  # kept on the way down
    with open_directory("cp-relay-") as directory:
        relay = Postfix(directory, mail_world.postfix.domains, mail_world.dovecot.lmtp_port)
        relay.port = relay_port
        up = start_up(data, *options)
        try:
            relay.start()
            reply = reply_to(mail_world, OPS, request, before + 1)
            assert reply["In-Reply-To"] == request["Message-ID"]
            deadline = time.monotonic() + QUEUE_WAIT_S
            while queued(data):  # removed once the relay took it
                assert time.monotonic() < deadline
                time.sleep(0.05)
        finally:
            relay.stop()
            stop(up)


pytestmark = pytest.mark.timeout(120)
