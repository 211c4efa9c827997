"""Reading a request mail: which text counts, which lines are commands, who sent it."""

from __future__ import annotations

import pytest

from cloudping.channels.email.message import (
    MOST_COMMANDS,
    MailError,
    parse_message,
    read_request,
)

HEAD = b"From: Ann <Ann@Ops.Lab>\r\nTo: ping@hub.lab\r\nMessage-ID: <r1@ops.lab>\r\n"


def request(body: bytes, head: bytes = HEAD, subject: bytes = b"Subject: hi\r\n") -> bytes:
    return head + subject + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body


def test_every_command_line_is_read_and_the_rest_is_not() -> None:
    got = read_request(
        parse_message(request(b"Hello,\r\nping -c 3 a.lab\r\n/mtr b.lab\r\nthanks\r\n"))
    )
    assert got.commands == ("ping -c 3 a.lab", "mtr b.lab")
    assert got.sender == "ann@ops.lab"
    assert got.message_id == "<r1@ops.lab>"


def test_quoted_text_wrote_blocks_and_signatures_are_dropped() -> None:
    body = b"ping x.lab\r\n-- \r\nAnn\r\nping sig.lab\r\n"
    assert read_request(parse_message(request(body))).commands == ("ping x.lab",)
    body = b"dns y.lab\r\n\r\nOn Tue, 8 Dec 2026, Hub <ping@hub.lab> wrote:\r\nping old.lab\r\n"
    assert read_request(parse_message(request(body))).commands == ("dns y.lab",)
    body = b"> ping quoted.lab\r\ntcping z.lab\r\n"
    assert read_request(parse_message(request(body))).commands == ("tcping z.lab",)


def test_the_subject_is_read_when_the_body_has_no_command() -> None:
    raw = request(b"see subject\r\n", subject=b"Subject: Re: traceroute t.lab\r\n")
    assert read_request(parse_message(raw)).commands == ("traceroute t.lab",)


def test_a_reply_to_our_reply_threads_and_its_new_command_runs() -> None:
    head = HEAD + b"In-Reply-To: <a@hub.lab>\r\nReferences: <r0@ops.lab> <a@hub.lab>\r\n"
    body = b"ping again.lab\r\n\r\nOn Tue, cloudping wrote:\r\n> ping old.lab\r\n"
    got = read_request(parse_message(request(body, head, b"Subject: Re: measure\r\n")))
    assert got.commands == ("ping again.lab",)
    assert got.references == ("<r0@ops.lab>", "<a@hub.lab>")


def test_html_only_mail_is_read_as_text_without_its_quote() -> None:
    raw = HEAD + (
        b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<div>ping&nbsp;h.lab</div><br><blockquote>ping quoted.lab</blockquote>"
    )
    assert read_request(parse_message(raw)).commands == ("ping h.lab",)


def test_at_most_so_many_commands_are_read() -> None:
    body = b"".join(b"ping n%d.lab\r\n" % n for n in range(MOST_COMMANDS + 3))
    assert len(read_request(parse_message(request(body))).commands) == MOST_COMMANDS


@pytest.mark.parametrize(
    "raw",
    [
        b"To: ping@hub.lab\r\nSubject: no sender\r\n\r\nping x\r\n",
        b"From: a@x.lab, b@y.lab\r\nSubject: two\r\n\r\nping x\r\n",
        b"From: \xff\xfe@\xff\r\n\r\nping x\r\n",
        b"\x00\x01garbage without headers",
    ],
)
def test_a_message_without_one_readable_sender_is_an_error(raw: bytes) -> None:
    with pytest.raises(MailError):
        read_request(parse_message(raw))


def test_a_broken_charset_and_attachments_only_still_read() -> None:
    broken = request(b"ping \xff\xfe.lab\r\n").replace(b"utf-8", b"x-unknown-charset")
    assert read_request(parse_message(broken)).commands[0].startswith("ping ")
    only = HEAD + (
        b"Subject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\n%PDF\r\n"
        b"--b--\r\n"
    )
    got = read_request(parse_message(only))
    assert (got.commands, got.text) == ((), "")


def test_a_gmail_quote_is_hidden_until_it_closes() -> None:
    raw = HEAD + (
        b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<div dir="ltr">dns a.lab<br></div><div class="gmail_quote"><div>ping q.lab<br>'
        b"<img src=x></div></div><p>mtr b.lab</p>"
    )
    assert read_request(parse_message(raw)).commands == ("dns a.lab", "mtr b.lab")


def test_raw_8_bit_and_encoded_headers_are_read() -> None:
    head = b"From: J\xc3\xb6rg <Joerg@Ops.Lab>\r\nMessage-ID: <r2@ops.lab>\r\n"
    subject = b"Subject: =?utf-8?q?M=C3=BCnchen?= ping m.lab\r\n"
    got = read_request(parse_message(request(b"", head, subject)))
    assert got.sender == "joerg@ops.lab"
    assert got.subject == "München ping m.lab"
