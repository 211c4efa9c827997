"""The dns probe's messages: the question it asks and the answer as event fields. No I/O.

Encoding and decoding are dnspython's (``dns.message``): a query is encode -> send -> decode,
and this module is the two ends. Every query carries EDNS(0) (RFC 6891) with a 1232-byte
payload (the DNS Flag Day 2020 size that avoids IP fragmentation) and asks for the server's
NSID (RFC 5001); over DoT and DoH it is padded to a multiple of 128 octets (RFC 7830, the
block size RFC 8467 recommends for queries).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.reversename
import dns.rrset

from cloudping.errors import UsageError
from cloudping.events import DnsRecord

EDNS_PAYLOAD = 1232
PADDING_BLOCK = 128
# Header flags in the order dig prints them; DO lives in the EDNS flags (RFC 3225).
_FLAGS = (
    ("qr", dns.flags.QR),
    ("aa", dns.flags.AA),
    ("tc", dns.flags.TC),
    ("rd", dns.flags.RD),
    ("ra", dns.flags.RA),
    ("ad", dns.flags.AD),
    ("cd", dns.flags.CD),
)


@dataclass(frozen=True, slots=True)
class Question:
    """What to ask: a name, a type, and the header bits that shape the answer.

    ``recursion`` is RD (RFC 1035 4.1.1); ``dnssec`` sets DO (RFC 3225) and AD in the query,
    which asks a validating resolver to say whether it validated (RFC 6840 5.7); ``no_check``
    is CD (RFC 4035 3.2.2).
    """

    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    recursion: bool = True
    dnssec: bool = False
    no_check: bool = False

    @property
    def qname(self) -> str:
        """The name as sent, absolute (``www.lab.``)."""
        return self.name.to_text()

    @property
    def qtype(self) -> str:
        """The type's mnemonic (``AAAA``, ``TYPE999``)."""
        return dns.rdatatype.to_text(self.rdtype)


def question(name: str, rtype: str, *, dnssec: bool = False) -> Question:
    """The question for ``name`` as typed: an IP address asks for its reverse name.

    An address means its PTR, as ``dig -x`` does (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5
    ip6.arpa): the default type A becomes PTR; any other type is asked of the reverse name.

    Raises:
        UsageError: a name dnspython cannot encode (a label over 63 octets, a name over 255).
    """
    rdtype = dns.rdatatype.from_text(rtype)
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return Question(_name(name), rdtype, dnssec=dnssec)
    if rdtype == dns.rdatatype.A:
        rdtype = dns.rdatatype.PTR
    return Question(dns.reversename.from_address(name), rdtype, dnssec=dnssec)


def _name(text: str) -> dns.name.Name:
    try:
        return dns.name.from_text(text)
    except dns.name.NameTooLong as exc:
        raise UsageError(f"{text}: a DNS name has at most 255 octets", word=text) from exc
    except dns.name.LabelTooLong as exc:
        raise UsageError(f"{text}: a DNS label has at most 63 octets", word=text) from exc
    except dns.exception.DNSException as exc:
        raise UsageError(f"{text}: not a valid DNS name ({exc})", word=text) from exc


def make_query(q: Question, *, encrypted: bool = False, doh: bool = False) -> dns.message.Message:
    """The query message for ``q``; ``encrypted`` pads it, ``doh`` uses ID 0 (RFC 8484 4.1)."""
    flags = (dns.flags.RD if q.recursion else 0) | (dns.flags.CD if q.no_check else 0)
    if q.dnssec:
        flags |= dns.flags.AD
    return dns.message.make_query(
        q.name,
        q.rdtype,
        use_edns=0,
        payload=EDNS_PAYLOAD,
        want_dnssec=q.dnssec,
        options=[dns.edns.GenericOption(dns.edns.OptionType.NSID, b"")],
        flags=flags,
        pad=PADDING_BLOCK if encrypted else 0,
        id=0 if doh else None,
    )


def records(rrsets: list[dns.rrset.RRset]) -> tuple[DnsRecord, ...]:
    """Every record of a section in presentation form (RFC 1035 5.1), one per record.

    ``data`` is what a zone file holds: TXT strings stay quoted and escaped, so a string with
    spaces (or quotes) reads back as the same strings.
    """
    return tuple(
        DnsRecord(
            name=rrset.name.to_text(),
            ttl=rrset.ttl,
            type=dns.rdatatype.to_text(rrset.rdtype),
            data=rdata.to_text(),
        )
        for rrset in rrsets
        for rdata in rrset
    )


def flag_words(message: dns.message.Message) -> tuple[str, ...]:
    """The header flags that are set, lower case in dig's order, plus ``do`` from EDNS."""
    words = [word for word, bit in _FLAGS if message.flags & bit]
    if message.ednsflags & dns.flags.DO:
        words.append("do")
    return tuple(words)


def nsid(message: dns.message.Message) -> str | None:
    """The server's NSID (RFC 5001) as text, or hex when it is not printable ASCII."""
    for option in message.options:
        if option.otype == dns.edns.OptionType.NSID:
            raw = option.to_wire() or b""
            if raw and all(0x20 <= c <= 0x7E for c in raw):
                return raw.decode("ascii")
            return raw.hex() or None
    return None


def answer_fields(response: dns.message.Message) -> dict[str, Any]:
    """The :class:`~cloudping.events.DnsEvent` fields an answer fills."""
    return {
        "rcode": dns.rcode.to_text(response.rcode()),
        "flags": flag_words(response),
        "answers": records(response.answer),
        "authority": records(response.authority),
        "additional": records(response.additional),
        "nsid": nsid(response),
        "size": len(response.wire) if response.wire is not None else None,
    }
