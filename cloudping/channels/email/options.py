"""The mail channel's options on the hub's and ``cloudping up``'s parsers, and what they make.

The channel runs when ``--mail-address`` is given; it then needs ``--smtp-relay`` (where
replies go). Files named here (the DKIM key, the relay's credentials, certificates) are the
operator's, read once at start: no remote caller names a path.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cloudping.auth import Scope
from cloudping.channels.email.imapbox import ImapMailbox
from cloudping.channels.email.lookups import TxtLookup
from cloudping.channels.email.outbox import Backoff
from cloudping.channels.email.relay import Credentials, Relay
from cloudping.channels.email.route import MAIL_BODY_LIMIT
from cloudping.channels.email.senders import REQUIRES
from cloudping.channels.email.settings import DEFAULT_MAX_SIZE, Allowlist, MailSettings
from cloudping.channels.email.signing import DkimSigner
from cloudping.channels.plug import Channel, ChannelContext, ChannelFactory
from cloudping.commands import split_host_port
from cloudping.service.settings import Quota

SENDER_SCOPES: tuple[Scope, ...] = ("measure", "private")  # never admin or mail
_PROBE_MESSAGE = b"From: a@example.org\r\nSubject: key check\r\n\r\nkey check\r\n"


def add_options(p: argparse.ArgumentParser) -> None:
    """The mail channel's options."""
    g = p.add_argument_group("email (runs when --mail-address is given)")
    g.add_argument("--mail-address", metavar="ADDR", help="the address people write to")
    g.add_argument(
        "--mail-allow",
        metavar="ADDRS",
        default="",
        help="who may ask: addresses and @domains, joined by commas (default: anyone)",
    )
    g.add_argument(
        "--mail-require",
        choices=REQUIRES,
        default="dmarc",
        help="the authentication a sender needs (default dmarc)",
    )
    g.add_argument(
        "--mail-trust-authserv-id",
        metavar="ID",
        help="trust the Authentication-Results of this front MTA instead of checking",
    )
    g.add_argument(
        "--mail-dns",
        metavar="ADDR[:PORT]",
        help="the resolver for DKIM/DMARC look-ups (default: the system's)",
    )
    g.add_argument(
        "--mail-max-size",
        metavar="BYTES",
        type=int,
        default=DEFAULT_MAX_SIZE,
        help=f"the largest message taken (default {DEFAULT_MAX_SIZE})",
    )
    g.add_argument(
        "--mail-scope",
        metavar="SCOPES",
        default="measure",
        help="what senders may do: measure, or measure,private (loopback and the private "
        "ranges agents serve); default measure",
    )
    g.add_argument(
        "--mail-quota",
        metavar="N",
        type=int,
        default=30,
        help="measurements per hour for each sender (default 30)",
    )
    g.add_argument(
        "--mail-answers-per-hour",
        metavar="N",
        type=int,
        default=30,
        help="replies per sender per hour, whatever they ask (default 30)",
    )
    g.add_argument("--smtp-listen", metavar="HOST:PORT", help="run an SMTP listener there")
    g.add_argument(
        "--mail-imap",
        metavar="URL",
        help="also read requests from this mailbox: imap[s]://USER@HOST[:PORT][/MAILBOX]",
    )
    g.add_argument(
        "--mail-imap-password-file", metavar="FILE", type=Path, help="the mailbox's password"
    )
    g.add_argument("--mail-imap-ca", metavar="FILE", type=Path, help="CA certificates for imaps://")
    g.add_argument(
        "--mail-imap-interval",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="how often the mailbox is polled (default 30)",
    )
    g.add_argument(
        "--smtp-cert", metavar="FILE", type=Path, help="STARTTLS certificate (default: the hub's)"
    )
    g.add_argument("--smtp-key", metavar="FILE", type=Path, help="its private key")
    g.add_argument("--smtp-relay", metavar="HOST:PORT", help="where replies are sent")
    g.add_argument(
        "--smtp-relay-tls",
        choices=("auto", "require"),
        default="auto",
        help="STARTTLS with the relay when offered (auto) or always (require)",
    )
    g.add_argument(
        "--smtp-relay-credentials",
        metavar="FILE",
        type=Path,
        help="USER:PASSWORD for the relay, on the file's first line",
    )
    g.add_argument(
        "--smtp-relay-ca",
        metavar="FILE",
        type=Path,
        help="CA certificates the relay's certificate is checked against",
    )
    g.add_argument(
        "--smtp-retry-s",
        metavar="SECONDS",
        type=float,
        default=10.0,
        help="the first pause before sending a reply again (doubles, at most 30 min)",
    )
    g.add_argument("--dkim-key", metavar="FILE", type=Path, help="sign replies with this key")
    g.add_argument("--dkim-selector", metavar="S", help="the DKIM selector of --dkim-key")
    g.add_argument("--dkim-domain", metavar="D", help="the DKIM domain (d=) of --dkim-key")


def configure(args: argparse.Namespace) -> ChannelFactory | None:
    """The mail channel's factory, or None without ``--mail-address``.

    Raises:
        ValueError: a bad or missing option (the message names it).
    """
    if args.mail_address is None:
        return None
    settings = mail_settings(args)
    lookup = TxtLookup(settings.dns)

    def build(context: ChannelContext) -> Channel:
        from cloudping.channels.email.channel import MailChannel  # noqa: PLC0415 (only when used)

        return MailChannel(context, settings, lookup)

    return build


def mail_settings(args: argparse.Namespace) -> MailSettings:
    """The settings the options make.

    Raises:
        ValueError: as :func:`configure`.
    """
    address = str(args.mail_address).strip().lower()
    local, at, domain = address.rpartition("@")
    if not (local and at and "." in domain):
        raise ValueError(f"--mail-address {args.mail_address!r} is not local@domain")
    if args.smtp_relay is None:
        raise ValueError("--mail-address needs --smtp-relay HOST:PORT (where replies go)")
    if not 0 < args.mail_max_size <= MAIL_BODY_LIMIT:
        raise ValueError(f"--mail-max-size must be between 1 and {MAIL_BODY_LIMIT} bytes")
    if (args.smtp_cert is None) != (args.smtp_key is None):
        raise ValueError("--smtp-cert and --smtp-key go together")
    try:
        allow = Allowlist.parse(args.mail_allow)
    except ValueError as exc:
        raise ValueError(f"--mail-allow: {exc}") from exc
    return MailSettings(
        address=address,
        relay=_relay(args),
        allow=allow,
        require=args.mail_require,
        trust_authserv_id=args.mail_trust_authserv_id,
        dns=_checked_address("--mail-dns", args.mail_dns, 53),
        max_size=args.mail_max_size,
        smtp_listen=_listen(args.smtp_listen),
        tls=(args.smtp_cert, args.smtp_key) if args.smtp_cert else None,
        signer=_signer(args),
        scopes=_scopes(args.mail_scope),
        quota=_quota(args.mail_quota),
        answers_per_hour=_positive("--mail-answers-per-hour", args.mail_answers_per_hour),
        backoff=_backoff(args.smtp_retry_s),
        imap=_imap(args),
        imap_interval_s=args.mail_imap_interval,
    )


def _relay(args: argparse.Namespace) -> Relay:
    host, port = _host_port("--smtp-relay", args.smtp_relay, 25)
    credentials = None
    if args.smtp_relay_credentials is not None:
        try:
            credentials = Credentials.from_file(args.smtp_relay_credentials)
        except (OSError, ValueError) as exc:
            raise ValueError(f"--smtp-relay-credentials: {exc}") from exc
    return Relay(host, port, args.smtp_relay_tls, credentials, args.smtp_relay_ca)


def _imap(args: argparse.Namespace) -> ImapMailbox | None:
    if args.mail_imap is None:
        return None
    if args.mail_imap_password_file is None:
        raise ValueError("--mail-imap needs --mail-imap-password-file")
    if not 0.1 <= args.mail_imap_interval <= 3600:
        raise ValueError("--mail-imap-interval must be in [0.1, 3600] seconds")
    try:
        password = args.mail_imap_password_file.read_text().splitlines()[0]
        return ImapMailbox.parse(args.mail_imap, password, args.mail_imap_ca)
    except (OSError, IndexError, ValueError) as exc:
        raise ValueError(f"--mail-imap: {exc}") from exc


def _signer(args: argparse.Namespace) -> DkimSigner | None:
    given = (args.dkim_key, args.dkim_selector, args.dkim_domain)
    if all(value is None for value in given):
        return None
    if any(value is None for value in given):
        raise ValueError("--dkim-key, --dkim-selector and --dkim-domain go together")
    try:
        signer = DkimSigner(args.dkim_key.read_bytes(), args.dkim_selector, args.dkim_domain)
        signer.sign(_PROBE_MESSAGE)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--dkim-key: {exc}") from exc
    return signer


def _listen(text: str | None) -> tuple[str, int] | None:
    return None if text is None else _host_port("--smtp-listen", text, 25)


def _host_port(option: str, text: str, default: int) -> tuple[str, int]:
    try:
        return split_host_port(text, default)
    except ValueError as exc:
        raise ValueError(f"{option}: {exc}") from exc


def _checked_address(option: str, text: str | None, default: int) -> str | None:
    if text is not None:
        _host_port(option, text, default)
    return text


def _scopes(text: str) -> frozenset[Scope]:
    words = {word.strip() for word in text.split(",") if word.strip()}
    scopes = frozenset(scope for scope in SENDER_SCOPES if scope in words)
    if len(scopes) != len(words) or "measure" not in scopes:
        raise ValueError(f"--mail-scope takes measure or measure,private, not {text!r}")
    return scopes


def _positive(option: str, value: int) -> int:
    if value < 1:
        raise ValueError(f"{option} must be at least 1")
    return value


def _quota(per_hour: int) -> Quota:
    return Quota(_positive("--mail-quota", per_hour), jobs_per_measurement=10)


def _backoff(first_s: float) -> Backoff:
    if not 0 < first_s <= 1800:
        raise ValueError("--smtp-retry-s must be in (0, 1800] seconds")
    return Backoff(first_s=first_s)
