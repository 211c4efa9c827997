"""Reading a request mail (sans-IO): bytes in, the sender, the thread and the command lines out.

Which text counts: the first text/plain part, else the first text/html part turned into text;
quoted lines (``> ...``), an "On ... wrote:" block or an Outlook "Original Message" and all
below it, and a signature after ``-- `` (RFC 3676 section 4.3) are dropped. Every remaining
line whose first word names a command is one command (at most :data:`MOST_COMMANDS`); with
none, the subject is one when its first word names a command ("Re: ping x" included, so that
answering our own reply with a new subject works).
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses

from cloudping.channels.email.htmltext import html_text
from cloudping.commands.commandnames import canonical_name
from cloudping.errors import CloudpingError

MOST_COMMANDS = 5
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|tr)\s*:\s*)+", re.IGNORECASE)
# "On Tue, 8 Dec 2026 at 04:20, Ann <ann@example.org> wrote:" (Gmail, Apple Mail, Thunderbird)
_WROTE = re.compile(r"^\s*on\b.*\bwrote:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*original message\s*-{2,}\s*$", re.IGNORECASE)
_ID = re.compile(r"<[^<>\s]+>")


class MailError(CloudpingError):
    """A message that cannot be read as a request (no sender, not a message at all)."""

    code = "mail_unreadable"


@dataclass(frozen=True, slots=True)
class Request:
    """A request mail as the channel needs it.

    Attributes:
        sender: the ``From`` address, lower-cased (whom we answer; what DMARC aligns with).
        subject: the subject as written (for ``Re:``).
        message_id: its ``Message-ID`` (``<...>``), when it has one.
        references: the thread so far (``References``, else ``In-Reply-To``), oldest first.
        commands: the command lines found, in order.
        text: the body text the commands were read from (empty when there is none).
    """

    sender: str
    subject: str
    message_id: str | None
    references: tuple[str, ...]
    commands: tuple[str, ...]
    text: str

    @property
    def sender_domain(self) -> str:
        """The domain of the sender's address."""
        return self.sender.rpartition("@")[2]


def parse_message(raw: bytes) -> EmailMessage:
    """The message in ``raw``; headers with 8-bit bytes or bad encodings are kept as
    registered defects rather than raised (the standard library's ``default`` policy)."""
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def read_request(message: EmailMessage) -> Request:
    """The request in a parsed message.

    Raises:
        MailError: the message has no single readable ``From`` address.
    """
    sender = from_address(message)
    subject = _header(message, "Subject")
    text = body_text(message)
    commands = command_lines(text)
    if not commands:
        commands = command_lines(_REPLY_PREFIX.sub("", subject))
    return Request(
        sender=sender,
        subject=subject,
        message_id=_first_id(_header(message, "Message-ID")),
        references=_thread(message),
        commands=commands,
        text=text,
    )


def from_address(message: Message) -> str:
    """The one address of ``From``, lower-cased.

    Raises:
        MailError: none, several, or one that is not ``local@domain``.
    """
    try:
        pairs = getaddresses([str(value) for value in message.get_all("From", [])])
    except (TypeError, ValueError) as exc:  # a header the parser could not make sense of
        raise MailError("the From header cannot be read") from exc
    addresses = [address for _, address in pairs if address]
    if len(addresses) != 1:
        raise MailError("a request needs exactly one From address")
    local, at, domain = addresses[0].rpartition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in addresses[0]):
        raise MailError(f"the From address {addresses[0]!r} is not local@domain")
    return str(Address(addr_spec=addresses[0].lower()).addr_spec)


def body_text(message: EmailMessage) -> str:
    """The readable text of the body: the plain part, else the HTML part as text; quoted
    text and the signature dropped. Empty when the message has neither (attachments only)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):  # an unknown charset, broken bytes
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = html_text(content)
    return "\n".join(_own_lines(content)).strip()


def command_lines(text: str) -> tuple[str, ...]:
    """Every line of ``text`` whose first word names a command, at most :data:`MOST_COMMANDS`."""
    found = []
    for line in text.splitlines():
        words = line.strip().lstrip("/").split(maxsplit=1)
        if words and canonical_name(words[0]) is not None:
            found.append(line.strip().lstrip("/"))
    return tuple(found[:MOST_COMMANDS])


def _own_lines(text: str) -> list[str]:
    """The lines the sender wrote: up to the signature or the quoted message, unquoted."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.rstrip() == "--" or _WROTE.match(line) or _ORIGINAL.match(line):
            break
        if not line.lstrip().startswith(">"):
            lines.append(line)
    return lines


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (TypeError, ValueError):  # a header with undecodable words
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _first_id(text: str) -> str | None:
    match = _ID.search(text)
    return match[0] if match else None


def _thread(message: Message) -> tuple[str, ...]:
    references = _ID.findall(_header(message, "References"))
    if not references:
        references = _ID.findall(_header(message, "In-Reply-To"))[:1]
    return tuple(references)
