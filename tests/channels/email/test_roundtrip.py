"""Mail in through swaks, the reply out through a real Postfix into a real Dovecot, read back
over IMAP; ``cloudping up`` runs as a subprocess with the mail channel on, and its local agent
pings loopback."""

from __future__ import annotations

import imaplib
import io
import json
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import dkim
import dns.resolver
import httpx
import pytest
from PIL import Image
from upprocess import UpProcess, free_port, issue_token, start_up, stop

from .conftest import (
    HUB_ADDRESS,
    HUB_DOMAIN,
    HUB_SELECTOR,
    OPS,
    SENDER_DOMAIN,
    SENDER_SELECTOR,
    SPF_DOMAIN,
    SPF_SENDER,
    STRANGER,
    STRANGER_DOMAIN,
    MailWorld,
)
from .mails import parsed, request_mail, signed
from .mailservers import PASSWORD

PING = "ping -c 2 -i 0.2 127.0.0.1"


def hub_options(world: MailWorld, smtp_port: int, relay_port: int) -> list[str]:
    return [
        "--mail-address", HUB_ADDRESS,
        "--smtp-listen", f"127.0.0.1:{smtp_port}",
        "--smtp-relay", f"127.0.0.1:{relay_port}",
        "--smtp-retry-s", "0.2",
        "--mail-dns", world.dns.address,
        "--mail-allow", f"@{SENDER_DOMAIN},@{SPF_DOMAIN}",
        "--mail-scope", "measure,private",
        "--dkim-key", str(world.hub_key_file),
        "--dkim-selector", HUB_SELECTOR,
        "--dkim-domain", HUB_DOMAIN,
    ]  # fmt: skip


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
    assert " -> STARTTLS" in said, said
    assert "250" in said.split("DATA")[-1], said

    reply = reply_to(mail_world, OPS, request, 1)
    raw_reply = reply.as_bytes()
    assert reply["Subject"] == "Re: measure please"
    assert reply["References"] == request["Message-ID"]
    assert reply["Message-ID"].endswith(f"@{HUB_DOMAIN}>")
    assert reply["Auto-Submitted"] == "auto-replied"
    assert dkim.verify(raw_reply, dnsfunc=lab_txt(mail_world))

    text = reply.get_body(preferencelist=("plain",))
    html = reply.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "127.0.0.1" in text.get_content()
    assert "<table" in html.get_content()
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
    assert lines[-1]["type"] == "end"
    assert lines[-1]["status"] == "ok"
    cids = [part["Content-ID"] for part in reply.walk() if part["Content-ID"]]
    assert cids
    assert all(f"cid:{cid.strip('<>')}" in html.get_content() for cid in cids)
    assert f"/m/{measurement_id}?key={stored['read_key']}" in text.get_content()


def signed_request(world: MailWorld, body: str, **kwargs: Any) -> tuple[EmailMessage, bytes]:
    request = request_mail(OPS, HUB_ADDRESS, body, **kwargs)
    return request, signed(request, SENDER_SELECTOR, SENDER_DOMAIN, world.sender_key.private_pem)


def replies_to(world: MailWorld, user: str, *requests: EmailMessage) -> list[EmailMessage]:
    ids = {request["Message-ID"] for request in requests}
    return [m for m in map(parsed, world.dovecot.messages(user)) if m["In-Reply-To"] in ids]


def test_plain_smtp_with_two_commands_gets_one_reply_with_a_section_each(
    mail_world: MailWorld, hub: Hub
) -> None:
    before = len(mail_world.dovecot.messages(OPS))
    request, raw = signed_request(mail_world, f"version\n{PING}\n> ping quoted.example\n")
    said = swaks(hub.smtp_port, OPS, raw)
    assert " -> STARTTLS" not in said  # plain: the client never asked for TLS
    reply = reply_to(mail_world, OPS, request, before + 1)
    text = reply.get_body(preferencelist=("plain",))
    assert text is not None
    content = text.get_content()
    assert "cloudping" in content  # the version's answer
    assert "127.0.0.1" in content
    assert "quoted.example" not in content
    assert (
        len([p for p in reply.iter_attachments() if (p.get_filename() or "").endswith(".ndjson")])
        == 1
    )


def test_unsigned_and_forged_mail_runs_nothing_and_gets_no_reply(
    mail_world: MailWorld, hub: Hub
) -> None:
    runs = len(hub.measurements_of(f"mail:{OPS}"))
    unsigned = request_mail(OPS, HUB_ADDRESS, "ping -c 1 127.0.0.2")
    forged = request_mail(OPS, HUB_ADDRESS, "ping -c 1 127.0.0.3")
    # Signed by a key that is not the one ops.lab publishes.
    forged_raw = signed(forged, SENDER_SELECTOR, SENDER_DOMAIN, mail_world.stranger_key.private_pem)
    for raw in (unsigned.as_bytes(), forged_raw):
        assert "250" in swaks(hub.smtp_port, OPS, raw).split("DATA")[-1]
    # A good request after them: once its reply is in, the bad ones had their turn.
    before = len(mail_world.dovecot.messages(OPS))
    good, raw = signed_request(mail_world, "version")
    swaks(hub.smtp_port, OPS, raw)
    reply_to(mail_world, OPS, good, before + 1)
    assert replies_to(mail_world, OPS, unsigned, forged) == []
    assert len(hub.measurements_of(f"mail:{OPS}")) == runs


def test_auto_replies_bounces_and_list_mail_get_nothing(mail_world: MailWorld, hub: Hub) -> None:
    automatic = [
        signed_request(mail_world, "version", headers={"Auto-Submitted": "auto-replied"}),
        signed_request(mail_world, "version", headers={"Precedence": "bulk"}),
        signed_request(mail_world, "version", headers={"List-Id": "<ops.lists.ops.lab>"}),
    ]
    for _, raw in automatic:
        swaks(hub.smtp_port, OPS, raw)
    bounce, raw = signed_request(mail_world, "version")
    swaks(hub.smtp_port, "", raw)  # MAIL FROM:<>
    before = len(mail_world.dovecot.messages(OPS))
    good, raw = signed_request(mail_world, "version")
    swaks(hub.smtp_port, OPS, raw)
    reply_to(mail_world, OPS, good, before + 1)
    requests = [request for request, _ in automatic]
    assert replies_to(mail_world, OPS, bounce, *requests) == []


def test_an_authenticated_sender_not_allowed_gets_one_short_refusal(
    mail_world: MailWorld, hub: Hub
) -> None:
    request = request_mail(STRANGER, HUB_ADDRESS, PING)
    raw = signed(request, SENDER_SELECTOR, STRANGER_DOMAIN, mail_world.stranger_key.private_pem)
    swaks(hub.smtp_port, STRANGER, raw)
    reply = reply_to(mail_world, STRANGER, request, 1)
    text = reply.get_body(preferencelist=("plain",))
    assert text is not None
    assert "may not run commands" in text.get_content()
    assert list(reply.iter_attachments()) == []
    assert hub.measurements_of(f"mail:{STRANGER}") == []


def test_only_our_address_is_taken_and_only_up_to_the_size_limit(hub: Hub) -> None:
    other = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{hub.smtp_port}", "--from", OPS,
         "--to", f"root@{HUB_DOMAIN}", "--timeout", "10"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert "<** 550" in other.stdout
    big = request_mail(OPS, HUB_ADDRESS, "x" * (1024 * 1024 + 10)).as_bytes()
    assert "552" in swaks(hub.smtp_port, OPS, big)


def test_the_mail_endpoint_takes_a_raw_message_from_a_token_with_the_mail_scope(
    mail_world: MailWorld, hub: Hub
) -> None:
    url = f"{hub.up.url}/api/v1/mail"
    request, raw = signed_request(mail_world, PING)
    headers = {"Content-Type": "message/rfc822"}
    assert httpx.post(url, content=raw, headers=headers, timeout=10).status_code == 401
    admin = {**headers, "Authorization": f"Bearer {hub.up.token}"}
    refused = httpx.post(url, content=raw, headers=admin, timeout=10)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "scope_missing"
    token = issue_token(hub.data, "gateway", "api", "mail", issuer=hub.up.url)
    gateway = {**headers, "Authorization": f"Bearer {token}"}
    wrong_type = httpx.post(url, content=raw, headers={**gateway, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    before = len(mail_world.dovecot.messages(OPS))
    taken = httpx.post(url, content=raw, headers=gateway, timeout=10)
    assert taken.status_code == 202
    assert taken.json() == {"decision": "accepted", "reason": OPS}
    reply = reply_to(mail_world, OPS, request, before + 1)
    assert any((p.get_filename() or "").endswith(".png") for p in reply.iter_attachments())
    bounce = request_mail(f"MAILER-DAEMON@{SENDER_DOMAIN}", HUB_ADDRESS, "version")
    ignored = httpx.post(url, content=bounce.as_bytes(), headers=gateway, timeout=10)
    assert ignored.json()["decision"] == "ignored"


def test_requests_are_also_read_from_an_imap_mailbox(mail_world: MailWorld, tmp_path: Path) -> None:
    password = tmp_path / "imap-password"
    password.write_text(f"{PASSWORD}\n")
    user = HUB_ADDRESS.replace("@", "%40")
    options = hub_options(mail_world, free_port(socket.SOCK_STREAM), mail_world.postfix.port)
    imap_url = f"imap://{user}@127.0.0.1:{mail_world.dovecot.imap_port}/INBOX"
    options += ["--mail-imap", imap_url, "--mail-imap-password-file", str(password)]
    up = start_up(tmp_path / "data", *options, "--mail-imap-interval", "0.2")
    try:
        request, raw = signed_request(mail_world, PING)
        before = len(mail_world.dovecot.messages(OPS))
        with imaplib.IMAP4("127.0.0.1", mail_world.dovecot.imap_port, timeout=5) as imap:
            imap.login(HUB_ADDRESS, PASSWORD)
            imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
        reply = reply_to(mail_world, OPS, request, before + 1)
        assert any((p.get_filename() or "").endswith(".ndjson") for p in reply.iter_attachments())
        with imaplib.IMAP4("127.0.0.1", mail_world.dovecot.imap_port, timeout=5) as imap:
            imap.login(HUB_ADDRESS, PASSWORD)
            imap.select("INBOX", readonly=True)
            assert imap.search(None, "UNSEEN")[1] == [b""]  # read once, flagged seen
    finally:
        stop(up)


def test_an_unsigned_mail_passes_on_aligned_spf_from_an_address_the_domain_allows(
    mail_world: MailWorld, hub: Hub
) -> None:
    request = request_mail(SPF_SENDER, HUB_ADDRESS, "version")
    swaks(hub.smtp_port, SPF_SENDER, request.as_bytes())  # from 127.0.0.1: loop.lab's SPF
    reply = reply_to(mail_world, SPF_SENDER, request, 1)
    text = reply.get_body(preferencelist=("plain",))
    assert text is not None
    assert "cloudping" in text.get_content()
    # The same From with an envelope of a domain whose SPF does not name loopback: nothing.
    other = request_mail(SPF_SENDER, HUB_ADDRESS, "version")
    swaks(hub.smtp_port, OPS, other.as_bytes())
    again = request_mail(SPF_SENDER, HUB_ADDRESS, "version")
    swaks(hub.smtp_port, SPF_SENDER, again.as_bytes())
    reply_to(mail_world, SPF_SENDER, again, 2)
    assert replies_to(mail_world, SPF_SENDER, other) == []
