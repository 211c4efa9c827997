"""The TABLE_DUMP_V2 reader on golden records: the cases BIRD does not write (AS_SET, 2-byte
peer ASNs, ADD-PATH), compared with bgpdump too; fed in any cut, compressed or not; a
truncated or corrupt dump is a clear error."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import pytest

from cloudping.routes.dumpfile import decompressed, rows
from cloudping.routes.mrt import Attributes, MrtError, Peer, TableDumpReader

from .bgpdump import bgpdump_rows, reader_rows
from .mrtbytes import Entry, attribute, peer_index, rib

Fields = tuple[int, bytes, int, int, int | None, Attributes]
PEERS = [("192.0.2.1", 64500), ("2001:db8::1", 4200000001)]


def golden() -> bytes:
    data = peer_index(PEERS)
    data += rib("203.0.113.0/24", [
        Entry(0, (64500, 64501), (64502, 64503), ((65000, 1),), ((4200000001, 2, 3),)),
        Entry(1, (4200000001,), next_hop="2001:db8::1"),
    ])  # fmt: skip
    two_paths = [Entry(0, (64500,), path_id=7), Entry(0, (64500, 64509), path_id=8)]
    data += rib("198.51.100.0/25", two_paths, addpath=True)
    data += rib("2001:db8:40::/48", [Entry(1, (4200000001, 64510), next_hop="2001:db8::1")])
    return data + rib("0.0.0.0/0", [Entry(0, (64500,))])


def read(data: bytes, cut: int = 1 << 20) -> tuple[TableDumpReader, list[Fields]]:
    reader = TableDumpReader()
    chunks = [data[i : i + cut] for i in range(0, len(data), cut)]
    found = [
        (row.family, row.network, row.length, row.peer, row.path_id, row.attributes)
        for row in rows(chunks, reader)
    ]
    return reader, found


def test_golden_records_read_as_bgpdump_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "golden.mrt"
    path.write_bytes(golden())
    assert reader_rows(path) == bgpdump_rows(path)


def test_peers_asns_sets_communities_and_path_ids() -> None:
    reader, found = read(golden())
    assert reader.peers == (
        Peer("192.0.2.1", 64500, "10.0.0.1"),
        Peer("2001:db8::1", 4200000001, "10.0.0.1"),
    )
    assert reader.dump_time == 1_700_000_000
    first = found[0][5]
    assert first.as_path == (64500, 64501, (64502, 64503))
    assert first.origin_as is None  # an AS_SET at the end names no single origin
    assert first.neighbor_as == 64500
    assert first.communities == ("65000:1",)
    assert first.large_communities == ("4200000001:2:3",)
    assert [row[4] for row in found[2:4]] == [7, 8]
    assert found[4][5].next_hop == "2001:db8::1"


@pytest.mark.parametrize("cut", [1, 7, 100])
def test_any_cut_of_the_input_gives_the_same_rows(cut: int) -> None:
    assert read(golden(), cut)[1] == read(golden())[1]


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_gzip_and_bzip2_are_told_by_their_first_bytes(compress: object) -> None:
    packed = compress(golden())  # type: ignore[operator]
    assert read(packed, 50)[1] == read(golden())[1]


def test_a_dump_cut_inside_a_record_is_truncated() -> None:
    data = golden()
    with pytest.raises(MrtError) as caught:
        read(data[:-5])
    assert caught.value.code == "mrt_truncated"
    assert "ends inside a record" in caught.value.message


def test_a_compressed_dump_cut_short_is_truncated() -> None:
    packed = gzip.compress(golden())
    with pytest.raises(MrtError) as caught:
        list(decompressed([packed[: len(packed) // 2]]))
    assert caught.value.code == "mrt_truncated"


def test_an_attribute_running_past_its_entry_is_corrupt() -> None:
    bad = Entry(0, (64500,), extra=attribute(8, b"\x00" * 40)[:-10])
    data = peer_index(PEERS) + rib("203.0.113.0/24", [bad])
    with pytest.raises(MrtError) as caught:
        read(data)
    assert caught.value.code == "mrt_corrupt"
    assert caught.value.fields["offset"] > 0


def test_an_unknown_peer_index_is_corrupt() -> None:
    data = peer_index(PEERS) + rib("203.0.113.0/24", [Entry(5, (64500,))])
    with pytest.raises(MrtError) as caught:
        read(data)
    assert caught.value.code == "mrt_corrupt"


def test_a_page_that_is_not_a_dump_is_an_error_not_an_empty_table() -> None:
    with pytest.raises(MrtError) as caught:
        read(b"<html><body>404 not found</body></html>\n")
    assert caught.value.code == "mrt_truncated"


def test_records_of_other_types_are_skipped() -> None:
    bgp4mp = b"\x00" * 4 + b"\x00\x10\x00\x04" + b"\x00\x00\x00\x00"  # type 16, empty
    reader, found = read(bgp4mp + golden())
    assert len(found) == 6
    assert reader.skipped == 1


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_concatenated_members_and_streams_are_read_to_the_end(compress: object) -> None:
    data = golden()
    cut = len(peer_index(PEERS)) + 10  # inside the first RIB record
    packed = compress(data[:cut]) + compress(data[cut:])  # type: ignore[operator]
    assert read(packed, 64)[1] == read(data)[1]


def test_bytes_after_the_compressed_end_are_corrupt() -> None:
    with pytest.raises(MrtError) as caught:
        read(gzip.compress(golden()) + b"trailing")
    assert caught.value.code == "mrt_corrupt"


def test_a_first_read_shorter_than_the_magic_still_tells_the_compression() -> None:
    packed = bz2.compress(golden())
    assert read(packed, 1)[1] == read(golden())[1]
