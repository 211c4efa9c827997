"""Never a mail loop: what gets no answer at all, and the cap per sender."""

from __future__ import annotations

import pytest

from cloudping.channels.email.loops import HOUR_S, AnswerCap, no_answer_reason
from cloudping.channels.email.message import parse_message

OWN = "ping@hub.lab"


def mail(*headers: str, sender: str = "ann@ops.lab") -> bytes:
    lines = [f"From: {sender}", "Subject: x", *headers, "", "version", ""]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(
    ("raw", "envelope", "reason"),
    [
        (mail("Auto-Submitted: auto-replied"), "ann@ops.lab", "Auto-Submitted"),
        (mail("Auto-Submitted: auto-generated; owner"), "ann@ops.lab", "Auto-Submitted"),
        (mail("Precedence: bulk"), "ann@ops.lab", "Precedence"),
        (mail("Precedence: list"), "ann@ops.lab", "Precedence"),
        (mail("List-Id: <ops.lists.ops.lab>"), "ann@ops.lab", "List-Id"),
        (mail(), "", "null sender"),
        (mail(sender="MAILER-DAEMON@ops.lab"), "x@ops.lab", "daemon"),
        (mail(), "mailer-daemon@ops.lab", "daemon"),
        (mail(sender=OWN), OWN, "our own"),
    ],
)
def test_automatic_mail_gets_no_answer(raw: bytes, envelope: str, reason: str) -> None:
    found = no_answer_reason(parse_message(raw), envelope, OWN)
    assert found is not None
    assert reason in found


def test_a_person_s_mail_may_be_answered() -> None:
    assert no_answer_reason(parse_message(mail("Auto-Submitted: no")), "ann@ops.lab", OWN) is None
    assert no_answer_reason(parse_message(mail()), None, OWN) is None


def test_the_cap_counts_answers_per_sender_in_a_sliding_hour() -> None:
    cap = AnswerCap(per_hour=2)
    assert cap.take("a@x.lab", 0.0)
    assert cap.take("a@x.lab", 10.0)
    assert not cap.take("a@x.lab", 20.0)
    assert cap.take("b@x.lab", 20.0)
    assert cap.take("a@x.lab", HOUR_S + 0.5)
