"""Request mails as people's mail programs send them, signed (or not) with dkimpy."""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

import dkim


def request_mail(
    sender: str,
    to: str,
    body: str,
    *,
    subject: str = "measure please",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain-text request with a fresh Message-ID."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid("request", domain=sender.rpartition("@")[2])
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def signed(message: EmailMessage, selector: str, domain: str, key_pem: bytes) -> bytes:
    """``message`` with a DKIM signature by ``selector._domainkey.domain``."""
    raw = message.as_bytes(policy=email.policy.SMTP)
    header = dkim.sign(
        raw,
        selector.encode(),
        domain.encode(),
        key_pem,
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    return bytes(header) + raw


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message
