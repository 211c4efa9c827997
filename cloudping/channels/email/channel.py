"""The mail channel: every message, from SMTP or ``POST /api/v1/mail``, takes one path.

1. Decide at once (before the SMTP ``250`` or the HTTP answer): mail that must get no answer
   (:mod:`.loops`), a message that cannot be read, a sender that is not authenticated
   (:mod:`.senders`) are dropped and logged: no measurement, no reply, no backscatter. An
   authenticated sender that is not allowed gets one short refusal.
2. In the background: the request is kept (:mod:`.inbox`) until each command line has run as
   ``mail:<address>`` through the command service (:mod:`.answering`) and the reply is built
   (:mod:`.reply`), DKIM-signed and queued in the data directory (:mod:`.outbox`), to be
   sent through the relay, retried until it leaves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Literal

from starlette.routing import BaseRoute

from cloudping.channels.email.answering import answer_line, help_section, text_section
from cloudping.channels.email.inbox import Inbox
from cloudping.channels.email.lookups import TxtLookup
from cloudping.channels.email.loops import AnswerCap, no_answer_reason
from cloudping.channels.email.message import MailError, Request, parse_message, read_request
from cloudping.channels.email.outbox import Outbox
from cloudping.channels.email.reply import Section, build_reply
from cloudping.channels.email.route import mail_policy
from cloudping.channels.email.senders import (
    Verdict,
    dmarc_name,
    key_name,
    signatures,
    trusted_results,
    verify,
)
from cloudping.channels.email.settings import MailSettings
from cloudping.channels.email.spf import check_spf
from cloudping.channels.plug import ChannelContext
from cloudping.edge import RoutePolicy
from cloudping.service.caller import account_caller
from cloudping.service.settings import ChannelAccess

log = logging.getLogger(__name__)

OUTBOX_DIR, INBOX_DIR = "mail-outbox", "mail-inbox"
Decision = Literal["accepted", "refused", "ignored", "unauthenticated", "unreadable"]


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who handed a message over: ``MAIL FROM`` and the peer's address, when known."""

    sender: str | None
    peer: str | None


@dataclass(frozen=True, slots=True)
class Received:
    """What became of one message, and why (logged; the HTTP route answers it)."""

    decision: Decision
    reason: str = ""


class MailChannel:
    """The running mail channel: its routes, its SMTP listener and its outbound queue."""

    def __init__(
        self,
        context: ChannelContext,
        settings: MailSettings,
        lookup: TxtLookup,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``lookup``: made before the event loop runs (the system resolver reads its
        configuration file)."""
        self.context = context
        self.settings = settings
        self.clock = clock
        self.access = ChannelAccess("mail", settings.scopes, settings.quota)
        self.outbox = Outbox(context.data_dir / OUTBOX_DIR, settings.backoff)
        self.inbox = Inbox(context.data_dir / INBOX_DIR)
        self._lookup = lookup
        self._cap = AnswerCap(settings.answers_per_hour)
        self._refusals = AnswerCap(1)  # one short refusal per sender and hour
        self._wake = asyncio.Event()
        self._tasks: asyncio.TaskGroup | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self.smtp_port: int | None = None  # bound by the SMTP listener (``--smtp-listen :0``)

    def routes(self) -> Sequence[BaseRoute]:
        """``POST /api/v1/mail`` (see :mod:`.webhook`)."""
        from cloudping.channels.email.webhook import mail_routes  # noqa: PLC0415 (a cycle)

        return mail_routes(self)

    def policies(self) -> Sequence[tuple[str, RoutePolicy]]:
        """``POST /api/v1/mail``: a raw message up to ``--mail-max-size``."""
        return (mail_policy(self.settings.max_size),)

    def running(self) -> AbstractAsyncContextManager[None]:
        """The outbound queue's sender and, with ``--smtp-listen``, the SMTP listener; with
        ``--mail-imap``, the mailbox's poller."""
        return self._running()

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        from cloudping.channels.email.imapbox import poll_mailbox  # noqa: PLC0415 (when used)
        from cloudping.channels.email.sending import send_queued  # noqa: PLC0415 (a cycle)
        from cloudping.channels.email.smtpd import smtp_listener  # noqa: PLC0415

        listening = smtp_listener(self) if self.settings.smtp_listen else nullcontext()
        async with asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            self._spawn(send_queued(self))
            await self._resume()
            if self.settings.imap is not None:
                imap, interval = self.settings.imap, self.settings.imap_interval_s
                self._spawn(poll_mailbox(imap, interval, self.receive))
            try:
                async with listening:
                    yield
            finally:
                self._tasks = None
                for task in self._pending:
                    task.cancel()

    def wake(self) -> None:
        """Tell the sender a message was queued."""
        self._wake.set()

    async def woken(self, timeout: float | None) -> None:
        """Wait until :meth:`wake` or ``timeout`` seconds (None: no limit)."""
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    async def receive(
        self, raw: bytes, envelope_sender: str | None, peer: str | None = None
    ) -> Received:
        """Decide on one message; an accepted or refused one is answered in the background.

        Args:
            envelope_sender: ``MAIL FROM`` (``""``: the null sender); None over HTTP.
            peer: the address that handed it over by SMTP (for SPF); None otherwise.
        """
        message = parse_message(raw)
        received, request = await self._decide(raw, message, Envelope(envelope_sender, peer))
        log.info("mail: %s (%s)", received.decision, received.reason or "-")
        if request is not None and received.decision in ("accepted", "refused"):
            kept = await asyncio.to_thread(self.inbox.keep, raw, received.decision)
            self._spawn(self._answer(request, received, kept))
        return received

    async def _resume(self) -> None:
        """Answer the requests a stopped hub had taken but not answered."""
        for kept, decision, raw in await asyncio.to_thread(self.inbox.kept):
            try:
                request = read_request(parse_message(raw))
            except MailError:  # it was readable when taken: a file changed by hand
                await asyncio.to_thread(self.inbox.done, kept)
                continue
            received = Received("refused" if decision == "refused" else "accepted", "kept")
            self._spawn(self._answer(request, received, kept))

    async def _decide(
        self, raw: bytes, message: EmailMessage, envelope: Envelope
    ) -> tuple[Received, Request | None]:
        silent = no_answer_reason(message, envelope.sender, self.settings.address)
        if silent is not None:
            return Received("ignored", silent), None
        try:
            request = read_request(message)
        except MailError as exc:
            return Received("unreadable", exc.message), None
        verdict = await self._verdict(raw, message, request, envelope)
        if not verdict.admits(self.settings.require, request.sender_domain):
            return Received("unauthenticated", f"{request.sender}: {verdict}"), None
        return self._admit(request)

    def _admit(self, request: Request) -> tuple[Received, Request | None]:
        """An authenticated sender: answered, refused once, or past the answers' cap."""
        if not self.settings.allow.allows(request.sender):
            if not self._refusals.take(request.sender, self.clock()):
                return Received("ignored", f"{request.sender}: refused once this hour"), None
            return Received("refused", f"{request.sender} is not allowed"), request
        if not self._cap.take(request.sender, self.clock()):
            return Received("ignored", f"{request.sender}: answers per hour reached"), None
        return Received("accepted", request.sender), request

    async def _verdict(
        self, raw: bytes, message: EmailMessage, request: Request, envelope: Envelope
    ) -> Verdict:
        if self.settings.trust_authserv_id is not None:
            return trusted_results(message, self.settings.trust_authserv_id, request.sender_domain)
        if self.settings.require == "none":
            return Verdict()
        names = [key_name(s, d) for s, d in signatures(raw) if d]
        found = await asyncio.gather(*(self._lookup.txt(name) for name in names))
        keys = {name: record for name, record in zip(names, found, strict=True) if record}
        dmarc = await self._lookup.txt(dmarc_name(request.sender_domain))
        return verify(raw, request.sender_domain, keys, dmarc, await self._spf(envelope))

    async def _spf(self, envelope: Envelope) -> str | None:
        """The envelope sender's domain when SPF lets the peer send for it."""
        if not envelope.sender or envelope.peer is None:
            return None
        domain = envelope.sender.rpartition("@")[2].lower()
        passed = await check_spf(envelope.peer, domain, self._lookup) == "pass"
        return domain if passed else None

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        if self._tasks is None:
            work.close()
            raise RuntimeError("the mail channel is not running")
        task = self._tasks.create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _answer(self, request: Request, received: Received, kept: str) -> None:
        """Answer a kept request; it is forgotten once its reply is queued (or answering it
        failed: logged, one bad mail never stops the channel), and stays kept when the hub
        stops first (the task is cancelled before the last line)."""
        try:
            sections = await self._sections(request, received)
            reply = build_reply(request, sections, self.settings.address, self._now())
            await self.queue(reply)
        except Exception:
            log.exception("mail: answering %s failed", request.sender)
        await asyncio.to_thread(self.inbox.done, kept)

    async def _sections(self, request: Request, received: Received) -> list[Section]:
        if received.decision == "refused":
            refusal = f"{request.sender} may not run commands on this cloudping hub."
            return [text_section("Not allowed", refusal)]
        if not request.commands:
            return [help_section()]
        caller = account_caller(f"mail:{request.sender}", self.access)
        url = self.context.public_url
        service = self.context.service
        return list(
            await asyncio.gather(
                *(answer_line(service, caller, line, url) for line in request.commands)
            )
        )

    async def queue(self, reply: EmailMessage) -> None:
        """Sign ``reply``, keep it in the outbound queue and wake the sender."""
        raw = reply.as_bytes()
        if self.settings.signer is not None:
            raw = self.settings.signer.sign(raw)
        recipients = (str(reply["To"]),)
        await asyncio.to_thread(
            self.outbox.put, raw, self.settings.address, recipients, self.clock()
        )
        self.wake()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)
