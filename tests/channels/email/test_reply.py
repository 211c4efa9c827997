"""The reply, built purely: subject, threading, parts and attachments."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudping.channels.email.answering import text_section
from cloudping.channels.email.message import Request
from cloudping.channels.email.reply import Section, build_reply, reply_subject

NOW = datetime(2026, 12, 8, 5, 0, tzinfo=UTC)
ASKED = Request("ann@ops.lab", "Re: ping", "<r2@ops.lab>", ("<r1@ops.lab>",), ("ping x",), "")


def test_the_subject_gets_one_re() -> None:
    assert reply_subject("ping x") == "Re: ping x"
    assert reply_subject("RE: ping x") == "RE: ping x"
    assert reply_subject("  ") == "Re: cloudping"


def test_a_reply_threads_and_carries_each_section_s_results() -> None:
    measured = Section("text", "<p>html</p>", "m1", (b"\x89PNG one",), b'{"type":"end"}\n', "u")
    reply = build_reply(ASKED, [text_section("version", "cloudping 1"), measured], "p@hub.lab", NOW)
    assert (reply["To"], reply["Subject"]) == ("ann@ops.lab", "Re: ping")
    assert reply["In-Reply-To"] == "<r2@ops.lab>"
    assert reply["References"] == "<r1@ops.lab> <r2@ops.lab>"
    assert reply["Message-ID"].endswith("@hub.lab>")
    text = reply.get_body(preferencelist=("plain",))
    html = reply.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "cloudping 1" in text.get_content()
    assert "u" in text.get_content()
    assert 'src="cid:picture-m1-0@cloudping"' in html.get_content()
    names = [part.get_filename() for part in reply.iter_attachments()]
    assert names == ["measurement-m1.png", "measurement-m1.ndjson"]


def test_a_request_without_a_message_id_gets_an_unthreaded_reply() -> None:
    lone = Request("ann@ops.lab", "ping", None, (), (), "")
    reply = build_reply(lone, [text_section("help", "commands:")], "p@hub.lab", NOW)
    assert reply["In-Reply-To"] is None
    assert list(reply.iter_attachments()) == []
