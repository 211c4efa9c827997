"""Mail in through swaks, the reply out through a real Postfix into a real Dovecot, read back
over IMAP; ``cloudping up`` runs as a subprocess with the mail channel on, and its local agent
pings loopback."""

from __future__ import annotations

import io
import json
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import dkim
import dns.resolver
import httpx
import pytest
from PIL import Image
from upprocess import UpProcess, free_port, start_up

from .conftest import (
    HUB_ADDRESS,
    HUB_DOMAIN,
    HUB_SELECTOR,
    OPS,
    SENDER_DOMAIN,
    SENDER_SELECTOR,
    MailWorld,
)
from .mails import parsed, request_mail, signed

PING = "ping -c 2 -i 0.2 127.0.0.1"


def hub_options(world: MailWorld, smtp_port: int, relay_port: int) -> list[str]:
    return [
        "--mail-address", HUB_ADDRESS,
        "--smtp-listen", f"127.0.0.1:{smtp_port}",
        "--smtp-relay", f"127.0.0.1:{relay_port}",
        "--smtp-retry-s", "0.2",
        "--mail-dns", world.dns.address,
        "--mail-allow", f"@{SENDER_DOMAIN}",
        "--mail-scope", "measure,private",
        "--dkim-key", str(world.hub_key_file),
        "--dkim-selector", HUB_SELECTOR,
        "--dkim-domain", HUB_DOMAIN,
    ]  # fmt: skip


def stop(up: UpProcess) -> None:
    up.process.terminate()
    up.process.wait(timeout=15)


@pytest.fixture(scope="module")
def hub(mail_world: MailWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data = tmp_path_factory.mktemp("mailhub") / "data"
    smtp_port = free_port(socket.SOCK_STREAM)
    up = start_up(data, *hub_options(mail_world, smtp_port, mail_world.postfix.port))
    try:
        yield Hub(up, data, smtp_port)
    finally:
        stop(up)


class Hub:
    def __init__(self, up: UpProcess, data: Path, smtp_port: int) -> None:
        self.up, self.data, self.smtp_port = up, data, smtp_port

    def measurements_of(self, subject: str) -> list[str]:
        with sqlite3.connect(self.data / "measurements.db") as db:
            rows = db.execute("SELECT id FROM measurements WHERE subject = ?", (subject,))
            return [row[0] for row in rows]

    def stored(self, measurement_id: str) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {self.up.token}"}
        url = f"{self.up.url}/api/v1/measurements/{measurement_id}"
        answer = httpx.get(url, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        document: dict[str, object] = answer.json()
        return document


def swaks(port: int, sender: str, raw: bytes, *extra: str) -> str:
    done = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{port}", "--from", sender, "--to", HUB_ADDRESS,
         "--data", "-", "--timeout", "10", *extra],
        input=raw, capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    return done.stdout.decode(errors="replace")


def reply_to(world: MailWorld, user: str, request: EmailMessage, count: int) -> EmailMessage:
    """The reply to ``request`` in ``user``'s mailbox (waiting, bounded, for ``count`` mails)."""
    for raw in world.dovecot.wait_messages(user, count):
        message = parsed(raw)
        if message["In-Reply-To"] == request["Message-ID"]:
            return message
    raise AssertionError(f"no reply to {request['Message-ID']} in {user}'s mailbox")


def lab_txt(world: MailWorld):  # type: ignore[no-untyped-def]
    """A dkimpy DNS function asking the loopback unbound (the lab's records)."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = world.dns.port

    def txt(name: bytes, timeout: int = 5) -> bytes:
        answer = resolver.resolve(name.decode(), "TXT", lifetime=timeout)
        return b"".join(answer[0].strings)

    return txt


def test_a_signed_request_over_starttls_gets_a_threaded_signed_reply_with_its_results(
    mail_world: MailWorld, hub: Hub
) -> None:
    request = request_mail(OPS, HUB_ADDRESS, f"Hello,\n\n{PING}\n\n-- \nOps team\n")
    raw = signed(request, SENDER_SELECTOR, SENDER_DOMAIN, mail_world.sender_key.private_pem)
    said = swaks(hub.smtp_port, OPS, raw, "-tls")
    assert "STARTTLS" in said and "250" in said.split("DATA")[-1], said

    reply = reply_to(mail_world, OPS, request, 1)
    raw_reply = reply.as_bytes()
    assert reply["Subject"] == "Re: measure please"
    assert reply["References"] == request["Message-ID"]
    assert reply["Message-ID"].endswith(f"@{HUB_DOMAIN}>")
    assert reply["Auto-Submitted"] == "auto-replied"
    assert dkim.verify(raw_reply, dnsfunc=lab_txt(mail_world))

    text = reply.get_body(preferencelist=("plain",))
    html = reply.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "127.0.0.1" in text.get_content() and "<table" in html.get_content()
    attachments = {part.get_filename(): part for part in reply.iter_attachments()}
    [measurement_id] = hub.measurements_of(f"mail:{OPS}")
    stored = hub.stored(measurement_id)
    png = attachments[f"measurement-{measurement_id}.png"].get_content()
    assert Image.open(io.BytesIO(png)).format == "PNG"
    ndjson = attachments[f"measurement-{measurement_id}.ndjson"].get_content()
    lines = [
        json.loads(line)
        for line in (ndjson if isinstance(ndjson, str) else ndjson.decode()).splitlines()
    ]
    assert lines == stored["events"]
    assert lines[-1]["type"] == "end" and lines[-1]["status"] == "ok"
    cids = [part["Content-ID"] for part in reply.walk() if part["Content-ID"]]
    assert cids and all(f"cid:{cid.strip('<>')}" in html.get_content() for cid in cids)
    assert f"/m/{measurement_id}?key={stored['read_key']}" in text.get_content()
