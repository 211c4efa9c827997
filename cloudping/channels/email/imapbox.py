"""An IMAP mailbox as a source of requests (``--mail-imap``), for operators who only have a
hosted mailbox: polled every ``--mail-imap-interval`` seconds (no IDLE: one short session per
poll survives server restarts and idle timeouts without keep-alive logic). Each unseen message
is handed to the channel, then flagged ``\\Seen``, so a hub that stops between the two reads it
again rather than loses it.

imaplib blocks: every session runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

IMAP_TIMEOUT_S = 30.0
MOST_PER_POLL = 50


@dataclass(frozen=True, slots=True)
class ImapMailbox:
    """Where requests wait: ``imap[s]://USER@HOST[:PORT][/MAILBOX]`` and the password."""

    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    tls: bool = True
    ca_file: Path | None = None

    def __repr__(self) -> str:  # never the password in a log line or a traceback
        return f"ImapMailbox({self.user}@{self.host}:{self.port}/{self.mailbox})"

    @classmethod
    def parse(cls, url: str, password: str, ca_file: Path | None = None) -> ImapMailbox:
        """The mailbox of ``url``.

        Raises:
            ValueError: not ``imap://`` or ``imaps://`` with a user and a host.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ValueError(f"{url!r} is not imap[s]://USER@HOST[:PORT][/MAILBOX]")
        tls = parts.scheme == "imaps"
        port = parts.port or (993 if tls else 143)
        mailbox = unquote(parts.path.strip("/")) or "INBOX"
        return cls(parts.hostname, port, unquote(parts.username), password, mailbox, tls, ca_file)

    def unseen(self) -> list[tuple[bytes, bytes]]:
        """The unseen messages (at most :data:`MOST_PER_POLL`): ``(uid, raw)``, left unseen."""
        with self._session() as imap:
            _, found = imap.uid("SEARCH", "UNSEEN")
            messages = []
            for uid in found[0].split()[:MOST_PER_POLL]:
                _, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                first = data[0]
                if isinstance(first, tuple):
                    messages.append((uid, first[1]))
            return messages

    def mark_seen(self, uids: list[bytes]) -> None:
        """Flag ``uids`` as seen."""
        if not uids:
            return
        with self._session() as imap:
            imap.uid("STORE", b",".join(uids).decode(), "+FLAGS", "(\\Seen)")

    def _session(self) -> imaplib.IMAP4:
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
            imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=context, timeout=IMAP_TIMEOUT_S
            )
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=IMAP_TIMEOUT_S)
        imap.login(self.user, self.password)
        imap.select(self.mailbox)
        return imap


async def poll_mailbox(
    mailbox: ImapMailbox,
    interval_s: float,
    receive: Callable[[bytes, str | None], Awaitable[object]],
) -> None:
    """Hand every unseen message to ``receive`` every ``interval_s`` until cancelled; a poll
    that fails (the server is down, the password wrong) is logged and tried again."""
    while True:
        try:
            messages = await asyncio.to_thread(mailbox.unseen)
            for _, raw in messages:
                await receive(raw, None)
            await asyncio.to_thread(mailbox.mark_seen, [uid for uid, _ in messages])
        except (OSError, imaplib.IMAP4.error) as exc:
            log.warning("mail: polling %r failed: %s", mailbox, exc)
        await asyncio.sleep(interval_s)  # the polling period, not a synchronisation
