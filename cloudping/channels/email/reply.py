"""The reply (pure): threaded to the request, text and HTML, pictures inline and attached, the
event stream attached.

Structure (RFC 2046, RFC 2387)::

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related: text/html (pictures as cid:), image/png (inline), ...
      image/png (attachment), ...  application/x-ndjson (measurement-<id>.ndjson), ...
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from cloudping.channels.email.message import Request
from cloudping.render.pages.mail import mail_document, mail_link, mail_picture

SUBJECT_CHARS = 200


@dataclass(frozen=True, slots=True)
class Section:
    """What one command of a request answers.

    Attributes:
        text: the plain text.
        html: the HTML block (:func:`~cloudping.render.pages.mail.mail_section` or
            :func:`~cloudping.render.pages.mail.mail_text_section`).
        measurement_id: the measurement's id, when the command was one.
        pictures: its PNG pictures.
        ndjson: its event stream, one JSON object per line.
        link: its page (with the read key), when the hub has a public URL.
    """

    text: str
    html: str
    measurement_id: str | None = None
    pictures: tuple[bytes, ...] = ()
    ndjson: bytes | None = None
    link: str | None = None


def reply_subject(subject: str) -> str:
    """``Re: <subject>``, once (a reply to our reply does not grow ``Re: Re:``)."""
    subject = " ".join(subject.split())[:SUBJECT_CHARS] or "cloudping"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def build_reply(
    request: Request, sections: Sequence[Section], own: str, now: datetime
) -> EmailMessage:
    """The reply to ``request`` from ``own``, dated ``now``, with a Message-ID on our domain."""
    message = EmailMessage()
    message["From"] = own
    message["To"] = request.sender
    message["Subject"] = reply_subject(request.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("cloudping", domain=own.rpartition("@")[2])
    # RFC 3834 section 5: an automatic answer says so, so that other responders stay quiet.
    message["Auto-Submitted"] = "auto-replied"
    if request.message_id is not None:
        message["In-Reply-To"] = request.message_id
        message["References"] = " ".join([*request.references, request.message_id])
    message.set_content(_text(sections))
    message.add_alternative(_html(sections), subtype="html")
    for section in sections:
        for index, png in enumerate(section.pictures):
            _add_inline(message, png, _cid(section, index))
    for section in sections:
        _attach(message, section)
    return message


def _text(sections: Sequence[Section]) -> str:
    blocks = []
    for section in sections:
        link = f"\n{section.link}\n" if section.link else ""
        blocks.append(section.text.rstrip("\n") + "\n" + link)
    return "\n".join(blocks)


def _html(sections: Sequence[Section]) -> str:
    blocks = []
    for section in sections:
        parts = [section.html]
        parts += [
            mail_picture(_cid(section, index), f"measurement {section.measurement_id}")
            for index in range(len(section.pictures))
        ]
        if section.link:
            parts.append(mail_link(section.link, "Open this measurement"))
        blocks.append("\n".join(parts))
    return mail_document(blocks)


def _cid(section: Section, index: int) -> str:
    """The Content-ID of a picture (without ``<>``): unique within the reply."""
    return f"picture-{section.measurement_id}-{index}@cloudping"


def _add_inline(message: EmailMessage, png: bytes, cid: str) -> None:
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None, "the HTML alternative was added first"
    html_part.add_related(png, "image", "png", cid=f"<{cid}>", disposition="inline")


def _attach(message: EmailMessage, section: Section) -> None:
    name = f"measurement-{section.measurement_id}"
    for index, png in enumerate(section.pictures):
        suffix = f"-{index + 1}" if len(section.pictures) > 1 else ""
        message.add_attachment(png, "image", "png", filename=f"{name}{suffix}.png")
    if section.ndjson is not None:
        message.add_attachment(section.ndjson, "application", "x-ndjson", filename=f"{name}.ndjson")
