"""Who may ask: DKIM verified against the published key, DMARC alignment, a trusted front
MTA's Authentication-Results."""

from __future__ import annotations

import dkim
import pytest

from cloudping.channels.email.message import parse_message
from cloudping.channels.email.senders import (
    Verdict,
    aligned,
    dmarc_name,
    key_name,
    signatures,
    trusted_results,
    verify,
)

from .mails import request_mail, signed
from .mailservers import DkimKey

DMARC = b"v=DMARC1; p=reject"


@pytest.fixture(scope="module")
def keys() -> tuple[DkimKey, DkimKey]:
    return DkimKey.new(), DkimKey.new()


def record(key: DkimKey) -> bytes:
    return f"v=DKIM1; k=rsa; p={key.public_b64}".encode()


def test_a_signature_by_the_published_key_passes_dkim_and_dmarc(
    keys: tuple[DkimKey, DkimKey],
) -> None:
    raw = signed(request_mail("ann@ops.lab", "ping@hub.lab", "version"), "s1", "ops.lab",
                 keys[0].private_pem)  # fmt: skip
    assert signatures(raw) == [("s1", "ops.lab")]
    published = {key_name("s1", "ops.lab"): record(keys[0])}
    assert verify(raw, "ops.lab", published, DMARC) == Verdict(("ops.lab",), dmarc=True)
    assert verify(raw, "ops.lab", published, None) == Verdict(("ops.lab",), dmarc=False)


def test_a_forged_or_altered_or_unaligned_message_does_not_pass(
    keys: tuple[DkimKey, DkimKey],
) -> None:
    mail = request_mail("ann@ops.lab", "ping@hub.lab", "version")
    forged = signed(mail, "s1", "ops.lab", keys[1].private_pem)
    published = {key_name("s1", "ops.lab"): record(keys[0])}
    assert verify(forged, "ops.lab", published, DMARC) == Verdict()
    good = signed(mail, "s1", "ops.lab", keys[0].private_pem)
    altered = good.replace(b"version", b"ping -c 99 x.lab")
    assert verify(altered, "ops.lab", published, DMARC) == Verdict()
    assert verify(good, "ops.lab", {}, DMARC) == Verdict()  # no key published
    other = {key_name("s1", "elsewhere.lab"): record(keys[0])}
    theirs = signed(mail, "s1", "elsewhere.lab", keys[0].private_pem)
    verdict = verify(theirs, "ops.lab", other, DMARC)
    assert verdict.dkim == ("elsewhere.lab",)
    assert not verdict.dmarc
    assert not verdict.admits("dkim", "ops.lab")


def test_what_each_requirement_takes() -> None:
    aligned_pass = Verdict(("mail.ops.lab",), dmarc=False)
    assert aligned_pass.admits("dkim", "ops.lab")
    assert not aligned_pass.admits("dmarc", "ops.lab")
    assert Verdict().admits("none", "ops.lab")
    assert aligned("ops.lab", "OPS.lab.")
    assert not aligned("lab", "ops.lab.example")
    assert dmarc_name("ops.lab") == "_dmarc.ops.lab."


def test_only_the_trusted_front_mta_s_results_count() -> None:
    raw = (
        b"Authentication-Results: mx.hub.lab; dkim=pass header.d=ops.lab;\r\n"
        b" spf=pass smtp.mailfrom=ops.lab; dmarc=pass header.from=ops.lab\r\n"
        b"Authentication-Results: mx.hub.lab; dmarc=fail header.from=ops.lab\r\n"
        b"From: ann@ops.lab\r\nSubject: x\r\n\r\nversion\r\n"
    )
    message = parse_message(raw)
    assert trusted_results(message, "mx.hub.lab", "ops.lab") == Verdict(("ops.lab",), True)
    assert trusted_results(message, "mx.other.lab", "ops.lab") == Verdict()
    forged = parse_message(b"Authentication-Results: mx.hub.lab; dmarc=fail\r\n" + raw)
    assert not trusted_results(forged, "mx.hub.lab", "ops.lab").dmarc


def test_a_signature_of_part_of_the_body_does_not_count(keys: tuple[DkimKey, DkimKey]) -> None:
    mail = request_mail("ann@ops.lab", "ping@hub.lab", "version")
    raw = mail.as_bytes()
    header = dkim.sign(raw, b"s1", b"ops.lab", keys[0].private_pem, length=True)
    appended = bytes(header) + raw + b"ping -c 100 victim.example\r\n"
    published = {key_name("s1", "ops.lab"): record(keys[0])}
    assert signatures(appended) == [("", "")]
    assert verify(appended, "ops.lab", published, DMARC) == Verdict()
