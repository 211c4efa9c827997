"""Email: mail a command, get a threaded reply with tables, pictures and the raw results.

Where a mail enters: the SMTP listener (:mod:`.smtpd`) or ``POST /api/v1/mail``
(:mod:`.webhook`); both hand the bytes to :class:`.channel.MailChannel`. Reading a message is
:mod:`.message` (sans-IO), who may ask is :mod:`.senders` and :mod:`.loops`, the reply is
:mod:`.reply`, and it leaves through :mod:`.outbox` and :mod:`.relay`.
"""

from cloudping.channels.email.options import add_options, configure
from cloudping.channels.plug import ChannelKind

EMAIL = ChannelKind("email", add_options, configure)

__all__ = ["EMAIL"]
