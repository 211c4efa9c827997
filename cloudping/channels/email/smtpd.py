"""The hub's SMTP listener (aiosmtpd on the hub's own event loop): mail only for our address
(550 at RCPT otherwise), at most ``--mail-max-size`` bytes (552), STARTTLS with the hub's
certificate or ``--smtp-cert/--smtp-key``. A message is decided on before the ``250``
(see :meth:`MailChannel.receive`); whatever the decision, the answer is ``250``: telling a
forger that we dropped a message tells them what passes."""

from __future__ import annotations

import asyncio
import logging
import ssl
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP, Envelope, Session

if TYPE_CHECKING:
    from cloudping.channels.email.channel import MailChannel

log = logging.getLogger(__name__)

# The hub's own certificate in its data directory (cloudping/hub/certfile.py writes them
# before any channel starts; a channel does not import the hub).
HUB_CERT, HUB_KEY = "hub.crt", "hub.key"


class MailHandler:
    """aiosmtpd's handler: the recipient rule and the hand-over to the channel."""

    def __init__(self, channel: MailChannel) -> None:
        self.channel = channel

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        """Take only our own address."""
        if address.lower() != self.channel.settings.address:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Decide on the message, then ``250`` (or ``451`` when deciding failed)."""
        content = envelope.original_content or b""
        try:
            peer = session.peer[0] if isinstance(session.peer, tuple) else None
            await self.channel.receive(content, envelope.mail_from or "", peer)
        except Exception:
            log.exception("mail: a message could not be handled")
            return "451 4.3.0 try again later"
        return "250 OK"


def tls_context(channel: MailChannel) -> ssl.SSLContext:
    """What STARTTLS offers: ``--smtp-cert/--smtp-key``, else the hub's certificate."""
    data_dir = channel.context.data_dir
    cert, key = channel.settings.tls or (data_dir / HUB_CERT, data_dir / HUB_KEY)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(Path(cert), Path(key))
    return context


@asynccontextmanager
async def smtp_listener(channel: MailChannel) -> AsyncIterator[int]:
    """Listen on ``--smtp-listen`` until the block ends; yields the bound port."""
    assert channel.settings.smtp_listen is not None
    host, port = channel.settings.smtp_listen
    handler = MailHandler(channel)
    context = tls_context(channel)
    loop = asyncio.get_running_loop()
    sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def protocol() -> Any:
        session = SMTP(
            handler,
            data_size_limit=channel.settings.max_size,
            hostname=channel.settings.domain,  # never socket.getfqdn(): a blocking look-up
            tls_context=context,
            enable_SMTPUTF8=True,
            loop=loop,
        )
        sessions.add(session)
        return session

    server = await loop.create_server(protocol, host, port)
    channel.smtp_port = server.sockets[0].getsockname()[1]
    try:
        yield channel.smtp_port
    finally:
        server.close()
        for session in list(sessions):  # a server's close() leaves its open sessions be
            if session.transport is not None:
                session.transport.close()
        await server.wait_closed()
