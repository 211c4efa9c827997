"""The mail channel's settings, checked when made (a bad one is a usage error at start)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cloudping.auth import Scope
from cloudping.channels.email.imapbox import ImapMailbox
from cloudping.channels.email.outbox import Backoff
from cloudping.channels.email.relay import Relay
from cloudping.channels.email.senders import Require
from cloudping.channels.email.signing import DkimSigner
from cloudping.service.settings import Quota

DEFAULT_MAX_SIZE = 1024 * 1024  # bytes: a request is a few lines; a forwarded thread is more


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Who may ask: exact addresses and whole domains (``@example.org``); empty: anyone
    authenticated."""

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> Allowlist:
        """``ann@example.org,@example.net``.

        Raises:
            ValueError: an entry is neither ``local@domain`` nor ``@domain``.
        """
        addresses, domains = set(), set()
        for word in (w.strip().lower() for w in text.split(",") if w.strip()):
            local, at, domain = word.rpartition("@")
            if not at or "." not in domain:
                raise ValueError(f"{word!r} is neither local@domain nor @domain")
            (addresses.add(word) if local else domains.add(domain))
        return cls(frozenset(addresses), frozenset(domains))

    def allows(self, sender: str) -> bool:
        """Whether ``sender`` (lower-cased) may ask."""
        if not self.addresses and not self.domains:
            return True
        return sender in self.addresses or sender.rpartition("@")[2] in self.domains


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How the mail channel receives, decides, answers and sends.

    Attributes:
        address: our address (``--mail-address``): the only recipient taken, the From of replies.
        allow: who may ask (``--mail-allow``).
        require: what authentication a sender needs (``--mail-require``).
        trust_authserv_id: believe the ``Authentication-Results`` of this front MTA instead
            of checking ourselves (``--mail-trust-authserv-id``).
        dns: where the look-ups of our own checks go (``--mail-dns``), else the system's.
        max_size: the largest message taken, in bytes (``--mail-max-size``; 552 beyond).
        smtp_listen: where the SMTP listener binds (``--smtp-listen``), if it runs.
        tls: the certificate and key STARTTLS offers (``--smtp-cert/--smtp-key``; else the
            hub's own).
        relay: where replies go out (``--smtp-relay``).
        signer: DKIM signing of replies (``--dkim-key/--dkim-selector/--dkim-domain``).
        scopes: what each sender (``mail:<address>``) may do.
        quota: each sender's quota.
        answers_per_hour: at most this many replies to one sender per hour (loop guard).
        backoff: the outbound queue's retry schedule.
        imap: a mailbox requests are also read from (``--mail-imap``).
        imap_interval_s: how often it is polled.
    """

    address: str
    relay: Relay
    allow: Allowlist = field(default_factory=Allowlist)
    require: Require = "dmarc"
    trust_authserv_id: str | None = None
    dns: str | None = None
    max_size: int = DEFAULT_MAX_SIZE
    smtp_listen: tuple[str, int] | None = None
    tls: tuple[Path, Path] | None = None
    signer: DkimSigner | None = None
    scopes: frozenset[Scope] = frozenset({"measure"})
    quota: Quota = field(default_factory=lambda: Quota(30, 10))
    answers_per_hour: int = 30
    backoff: Backoff = field(default_factory=Backoff)
    imap: ImapMailbox | None = None
    imap_interval_s: float = 30.0

    @property
    def domain(self) -> str:
        """Our address's domain (the Message-IDs of replies, the SMTP greeting)."""
        return self.address.rpartition("@")[2]
