"""Who may ask: whether a request's ``From`` is authenticated, decided before anything runs.

Two sources of a verdict:

- our own check: every DKIM signature (RFC 6376) verified with dkimpy against the key its
  ``s=``/``d=`` name in DNS, SPF (:mod:`.spf`) for mail that came over SMTP, and DMARC
  (RFC 7489 section 3.1) alignment of a passing signature's ``d=`` or of the SPF-authorised
  envelope domain with the ``From`` domain, relaxed: the same domain, or one a parent of the
  other; DMARC also needs the ``From`` domain to publish a ``v=DMARC1`` record;
- the ``Authentication-Results`` (RFC 8601) of a front MTA the operator trusts, recognised by
  its authserv-id; any other such header is the sender's own words and is ignored.

The DNS look-ups happen before (:func:`key_names`, then the caller fetches), so the
verification itself is pure: records in, verdict out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Literal, get_args

import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

Require = Literal["dmarc", "dkim", "none"]
REQUIRES: tuple[Require, ...] = get_args(Require)
_RESULT = re.compile(r"\b(dkim|dmarc)\s*=\s*(\w+)(?:[^;]*?\bheader\.(?:d|from)\s*=\s*([^\s;]+))?")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What is known of a sender.

    Attributes:
        dkim: the domains of the DKIM signatures that verified.
        dmarc: whether the message passes DMARC for its ``From`` domain.
        spf: the envelope sender's domain when SPF passed for the sending address.
    """

    dkim: tuple[str, ...] = ()
    dmarc: bool = False
    spf: str | None = None

    def admits(self, require: Require, sender_domain: str) -> bool:
        """Whether the verdict is enough for ``require``: ``dmarc``, a signature aligned with
        the ``From`` domain (``dkim``), or nothing (``none``: for a front MTA that checks)."""
        if require == "dmarc":
            return self.dmarc
        if require == "dkim":
            return any(aligned(domain, sender_domain) for domain in self.dkim)
        return True


def aligned(signer: str, sender_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other."""
    a, b = signer.lower().rstrip("."), sender_domain.lower().rstrip(".")
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def signatures(raw: bytes) -> list[tuple[str, str]]:
    """The ``(selector, domain)`` of each DKIM signature of ``raw``, in order. An unreadable
    signature, and one that covers only part of the body (``l=``: anyone may append lines,
    and here lines are commands; RFC 6376 section 8.2), count as ones that do not verify (an
    empty pair)."""
    found = []
    for name, value in dkim.DKIM(raw).headers:
        if name.lower() != b"dkim-signature":
            continue
        try:
            tags = parse_tag_value(value)
            partial = b"l" in tags
            pair = (tags[b"s"].decode("ascii"), tags[b"d"].decode("ascii"))
        except (InvalidTagValueList, KeyError, UnicodeDecodeError):
            partial, pair = True, ("", "")
        found.append(("", "") if partial else pair)
    return found


def key_name(selector: str, domain: str) -> str:
    """Where a DKIM key is published (RFC 6376 section 3.6.2.1)."""
    return f"{selector}._domainkey.{domain}."


def dmarc_name(domain: str) -> str:
    """Where a domain's DMARC policy is published (RFC 7489 section 6.1)."""
    return f"_dmarc.{domain}."


def verify(
    raw: bytes,
    sender_domain: str,
    keys: Mapping[str, bytes],
    dmarc_record: bytes | None,
    spf: str | None = None,
) -> Verdict:
    """The verdict on ``raw`` from the records fetched for it.

    Args:
        keys: the TXT record found at each :func:`key_name` (a missing one fails its signature).
        dmarc_record: the TXT record at :func:`dmarc_name` of the ``From`` domain, or None.
        spf: the envelope sender's domain when SPF passed (:mod:`.spf`), else None.
    """
    passed = []
    checker = dkim.DKIM(raw, minkey=1024)
    for index, (selector, domain) in enumerate(signatures(raw)):
        record = keys.get(key_name(selector, domain)) if domain else None
        if record is None:
            continue

        def lookup(name: bytes, timeout: int = 5, record: bytes = record) -> bytes:
            return record

        try:
            if checker.verify(idx=index, dnsfunc=lookup):
                passed.append(domain.lower())
        except dkim.DKIMException:
            continue
    published = dmarc_record is not None and dmarc_record.startswith(b"v=DMARC1")
    # RFC 7489 section 4.2: DMARC passes on an aligned DKIM pass or an aligned SPF pass.
    authenticated = [*passed, *([spf] if spf else [])]
    dmarc = published and any(aligned(domain, sender_domain) for domain in authenticated)
    return Verdict(tuple(passed), dmarc, spf)


def trusted_results(message: Message, authserv_id: str, sender_domain: str) -> Verdict:
    """The verdict of the ``Authentication-Results`` written by ``authserv_id`` (the front
    MTA the operator trusts): its ``dkim=pass header.d=...`` and ``dmarc=pass
    header.from=...`` for the ``From`` domain. Only the topmost such header counts: that is
    the one the front MTA added; anything below came with the message."""
    for value in message.get_all("Authentication-Results", []):
        text = " ".join(str(value).split())
        head = text.split(";", 1)[0].split()
        if not head or head[0].lower() != authserv_id.lower():
            continue
        passed, dmarc = [], False
        for method, result, domain in _RESULT.findall(text):
            if result.lower() != "pass":
                continue
            if method.lower() == "dkim" and domain:
                passed.append(domain.lower())
            elif method.lower() == "dmarc":
                dmarc = not domain or aligned(domain, sender_domain)
        return Verdict(tuple(passed), dmarc)
    return Verdict()
