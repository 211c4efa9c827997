"""The mail channel in-process on a hub with scripted agents (so the loop audit of
tests/channels watches it): SMTP in, the relay (an aiosmtpd server of the test's) out, the
HTTP route, the quota, bad input; and its options."""

from __future__ import annotations

import argparse
import asyncio
import email.policy
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import aiosmtplib
import httpx
import pytest
import trustme
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from upprocess import free_port

from channels.world import World, world
from cloudping.channels.email import EMAIL
from cloudping.channels.email.channel import MailChannel
from cloudping.channels.email.imapbox import ImapMailbox
from cloudping.channels.email.inbox import Inbox
from cloudping.channels.email.lookups import TxtLookup
from cloudping.channels.email.options import mail_settings
from cloudping.channels.plug import ChannelContext
from cloudping.service import ApiSettings, CommandService

WAIT = 10.0
OWN = "ping@hub.lab"
FRONT = "mx.hub.lab"


@dataclass
class Sink:
    """The relay: keeps what it is given."""

    messages: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    secure: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.secure.append(session.ssl is not None)
        await self.messages.put(envelope.original_content or b"")
        return "250 OK"


def options(relay_port: int, *extra: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    EMAIL.add_options(p)
    return p.parse_args(
        ["--mail-address", OWN, "--smtp-relay", f"127.0.0.1:{relay_port}",
         "--mail-trust-authserv-id", FRONT,
         "--smtp-listen", f"127.0.0.1:{free_port(socket.SOCK_STREAM)}",
         "--smtp-retry-s", "0.05", "--mail-quota", "1", *extra]
    )  # fmt: skip


def request(body: str, sender: str = "ann@ops.lab", subject: str = "measure") -> bytes:
    """A request as it leaves the trusted front MTA: with its Authentication-Results."""
    return (
        f"Authentication-Results: {FRONT}; dkim=pass header.d=ops.lab; dmarc=pass "
        f"header.from=ops.lab\r\nFrom: {sender}\r\nTo: {OWN}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{abs(hash(body))}@ops.lab>\r\n\r\n{body}\r\n"
    ).encode()


@asynccontextmanager
async def running(
    tmp_path: Path, relay_port: int, *extra: str, relay_tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[World, MailChannel, Sink, httpx.AsyncClient]]:
    cert, key = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    leaf = trustme.CA().issue_cert("hub.lab")
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    tls = ("--smtp-cert", str(cert), "--smtp-key", str(key))
    settings = mail_settings(options(relay_port, *tls, *extra))
    lookup = TxtLookup(
        settings.dns or "127.0.0.1:9"
    )  # by default never asked: the front MTA decides
    sink = Sink()
    loop = asyncio.get_running_loop()
    relay = await loop.create_server(
        lambda: SMTP(sink, hostname="relay.lab", tls_context=relay_tls, loop=loop),
        "127.0.0.1",
        relay_port,
    )
    async with world() as w:
        service = CommandService(w.hub, w.store, ApiSettings(clock=lambda: w.now[0]))
        context = ChannelContext(service, w.tokens, tmp_path, listening=True)
        channel = MailChannel(context, settings, lookup)
        app = Starlette(routes=list(channel.routes()))
        transport = httpx.ASGITransport(app=app)
        async with (
            channel.running(),
            httpx.AsyncClient(transport=transport, base_url="http://hub.lab") as http,
        ):
            yield w, channel, sink, http
            if "require" not in extra:
                await drained(channel)
    relay.close()


async def drained(channel: MailChannel) -> None:
    """Until the sender has handed every reply over and closed its connection (bounded): a
    conversation cut short by the end of the test would leave its socket to the collector."""
    async with asyncio.timeout(WAIT):
        while await asyncio.to_thread(channel.outbox.entries):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.anyio
async def test_smtp_in_a_measurement_and_its_reply_through_the_relay(tmp_path: Path) -> None:
    async with running(tmp_path, free_port(socket.SOCK_STREAM)) as (_, channel, sink, _http):
        assert channel.smtp_port is not None
        await aiosmtplib.send(
            request("ping -c 2 -s fra1 example.com"), sender="ann@ops.lab", recipients=[OWN],
            hostname="127.0.0.1", port=channel.smtp_port, start_tls=False,
        )  # fmt: skip
        async with asyncio.timeout(WAIT):
            reply = parsed(await sink.messages.get())
        assert reply["To"] == "ann@ops.lab"
        assert "example.com" in text_of(reply)
        names = [part.get_filename() for part in reply.iter_attachments()]
        assert any(name and name.endswith(".ndjson") for name in names)


@pytest.mark.anyio
async def test_the_quota_the_usage_and_help_are_answered_in_words(tmp_path: Path) -> None:
    async with running(tmp_path, free_port(socket.SOCK_STREAM)) as (w, _channel, sink, http):
        token = w.token("mail", sub="gateway")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}
        body = "ping -c 1 -s fra1 a.example\nping -c 1 -s fra1 b.example\nping --bogus x"
        answered = await http.post("/api/v1/mail", content=request(body), headers=headers)
        assert answered.status_code == 202
        async with asyncio.timeout(WAIT):
            text = text_of(parsed(await sink.messages.get()))
        # One of the two pings is past --mail-quota 1: the limit, and when it resets.
        assert "measurements_per_hour); it resets at 2025-06-15 16:06:40 UTC" in text
        assert "--bogus" in text
        assert "usage: ping" in text
        await http.post("/api/v1/mail", content=request("hello"), headers=headers)
        async with asyncio.timeout(WAIT):
            assert "commands:" in text_of(parsed(await sink.messages.get()))


@pytest.mark.anyio
async def test_a_message_past_the_size_limit_is_refused_over_http(tmp_path: Path) -> None:
    async with running(tmp_path, free_port(socket.SOCK_STREAM), "--mail-max-size", "100") as (
        w, _channel, _sink, http,
    ):  # fmt: skip
        headers = {"Authorization": f"Bearer {w.token('mail')}"}
        answered = await http.post("/api/v1/mail", content=b"x" * 101, headers=headers)
        assert answered.status_code == 413
        junk = await http.post("/api/v1/mail", content=b"\x00\xff junk", headers=headers)
        assert junk.json()["decision"] == "unreadable"


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["--mail-address", "nobody"], "--mail-address"),
        (["--mail-address", "a@b.lab"], "--smtp-relay"),
        (
            ["--mail-address", "a@b.lab", "--smtp-relay", "r.lab", "--mail-allow", "x"],
            "--mail-allow",
        ),
        (
            ["--mail-address", "a@b.lab", "--smtp-relay", "r.lab", "--dkim-selector", "s"],
            "--dkim-key",
        ),
        (
            ["--mail-address", "a@b.lab", "--smtp-relay", "r.lab", "--mail-scope", "admin"],
            "--mail-scope",
        ),
        (["--mail-address", "a@b.lab", "--smtp-relay", "r.lab", "--smtp-cert", "c"], "--smtp-key"),
        (
            ["--mail-address", "a@b.lab", "--smtp-relay", "r.lab", "--mail-imap", "imap://h.lab"],
            "--mail-imap-password-file",
        ),
    ],
)
def test_bad_mail_options_are_usage_errors_naming_the_option(
    words: list[str], problem: str
) -> None:
    p = argparse.ArgumentParser()
    EMAIL.add_options(p)
    with pytest.raises(ValueError, match=problem):
        EMAIL.configure(p.parse_args(words))
    assert EMAIL.configure(p.parse_args([])) is None


@pytest.mark.anyio
async def test_replies_go_over_starttls_when_the_relay_offers_it(tmp_path: Path) -> None:
    ca = trustme.CA()
    relay_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(relay_tls)
    ca.cert_pem.write_to_path(str(tmp_path / "relay-ca.pem"))
    trust = ("--smtp-relay-ca", str(tmp_path / "relay-ca.pem"))
    port = free_port(socket.SOCK_STREAM)
    async with running(tmp_path, port, *trust, relay_tls=relay_tls) as (w, _c, sink, http):
        headers = {"Authorization": f"Bearer {w.token('mail')}"}
        await http.post("/api/v1/mail", content=request("version"), headers=headers)
        async with asyncio.timeout(WAIT):
            await sink.messages.get()
        assert sink.secure == [True]


@pytest.mark.anyio
async def test_a_relay_without_starttls_gets_nothing_when_tls_is_required(tmp_path: Path) -> None:
    port = free_port(socket.SOCK_STREAM)
    require = ("--smtp-relay-tls", "require")
    async with running(tmp_path, port, *require) as (w, channel, sink, http):
        headers = {"Authorization": f"Bearer {w.token('mail')}"}
        await http.post("/api/v1/mail", content=request("version"), headers=headers)
        async with asyncio.timeout(WAIT):
            while not [e for e in await asyncio.to_thread(channel.outbox.entries) if e.attempts]:
                await asyncio.sleep(0.01)
        assert sink.messages.empty()


def test_an_imap_url_names_its_user_host_port_and_mailbox() -> None:
    box = ImapMailbox.parse("imaps://ping%40hub.lab@mx.hub.lab/Requests", "pw")
    assert (box.user, box.host, box.port, box.mailbox, box.tls) == (
        "ping@hub.lab", "mx.hub.lab", 993, "Requests", True,
    )  # fmt: skip
    assert "pw" not in repr(box)
    with pytest.raises(ValueError, match="imap"):
        ImapMailbox.parse("https://x@h.lab", "pw")


@pytest.mark.anyio
async def test_a_request_taken_but_not_answered_when_the_hub_stops_is_kept(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, free_port(socket.SOCK_STREAM)) as (w, _channel, sink, http):
        headers = {"Authorization": f"Bearer {w.token('mail')}"}
        # ams1 holds its jobs until told: the measurement is still running at the stop.
        body = request("ping -c 2 -s ams1 example.com")
        assert (await http.post("/api/v1/mail", content=body, headers=headers)).status_code == 202
    kept = await asyncio.to_thread(Inbox(tmp_path / "mail-inbox").kept)
    assert [(decision, raw) for _, decision, raw in kept] == [("accepted", body)]
    assert sink.messages.empty()


@pytest.mark.anyio
async def test_a_kept_request_is_answered_when_the_channel_starts(tmp_path: Path) -> None:
    await asyncio.to_thread(Inbox(tmp_path / "mail-inbox").keep, request("version"), "accepted")
    async with running(tmp_path, free_port(socket.SOCK_STREAM)) as (_w, channel, sink, _http):
        async with asyncio.timeout(WAIT):
            reply = parsed(await sink.messages.get())
        assert "cloudping" in text_of(reply)
        async with asyncio.timeout(WAIT):
            while await asyncio.to_thread(channel.inbox.kept):
                await asyncio.sleep(0.01)
