"""Matching answers to probes on a shared socket, without a socket."""

from __future__ import annotations

import pytest

from cloudping.probes.icmp.codec import EchoReply, IcmpError
from cloudping.probes.icmp.table import ProbeTable, TableFullError

COOKIE = b"12345678"


def reply(ident: int, seq: int, payload: bytes = COOKIE + b"rest") -> EchoReply:
    return EchoReply(ident, seq, payload, 8 + len(payload))


def error(ident: int, seq: int, dst: str | None) -> IcmpError:
    return IcmpError("time_exceeded", 11, 0, ident, seq, dst)


def test_wire_sequences_are_distinct_and_map_back_to_their_session() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    a = table.add("job-a", 1, "198.18.3.2", 0)
    b = table.add("job-b", 1, "198.18.3.3", 0)
    assert a != b
    match_a = table.match_reply(reply(7, a), "198.18.3.2")
    match_b = table.match_reply(reply(7, b), "198.18.3.3")
    assert match_a is not None
    assert (match_a.owner, match_a.local_seq) == ("job-a", 1)
    assert match_b is not None
    assert match_b.owner == "job-b"


def test_a_reply_from_another_source_is_not_matched() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    seq = table.add("job", 1, "198.18.3.2", 0)
    assert table.match_reply(reply(7, seq), "198.18.3.9") is None


def test_a_reply_with_another_identifier_or_cookie_is_not_matched() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    seq = table.add("job", 1, "198.18.3.2", 0)
    assert table.match_reply(reply(8, seq), "198.18.3.2") is None
    assert table.match_reply(reply(7, seq, b"otherpid" + b"x"), "198.18.3.2") is None


def test_a_short_payload_cannot_carry_the_cookie_and_is_matched_by_id_and_seq() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    seq = table.add("job", 1, "198.18.3.2", 0)
    assert table.match_reply(reply(7, seq, b"123"), "198.18.3.2") is not None


def test_an_error_must_quote_the_destination_we_sent_to() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    seq = table.add("job", 1, "198.18.3.2", 0)
    assert table.match_error(error(7, seq, "198.18.3.2")) is not None
    assert table.match_error(error(7, seq, "198.18.9.9")) is None
    assert table.match_error(error(7, seq, None)) is not None  # error queue: kernel matched it


def test_released_sequences_no_longer_match_and_are_reused_last() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    first = table.add("job", 1, "198.18.3.2", 0)
    table.release(first)
    assert table.match_reply(reply(7, first), "198.18.3.2") is None
    assert table.add("job", 2, "198.18.3.2", 0) != first


def test_sequence_numbers_wrap_around_skipping_those_in_flight() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    kept = table.add("job", 0, "a", 0)
    for n in range(1, 0x10000):
        table.release(table.add("job", n, "a", 0))
    assert table.add("job", 0, "a", 0) != kept
    assert len(table) == 2


def test_a_full_table_refuses_more() -> None:
    table: ProbeTable[str] = ProbeTable(7, COOKIE)
    for n in range(0x10000):
        table.add("job", n, "a", 0)
    with pytest.raises(TableFullError):
        table.add("job", 0, "a", 0)
