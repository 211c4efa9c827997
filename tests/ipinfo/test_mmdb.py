"""MMDB files as a source: the layouts providers ship, and replacement under a stream of
look-ups (issue 17: no failed look-up during the swap, new answers after it)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from pathlib import Path

import pytest

from cloudping.errors import CloudpingError
from cloudping.ipinfo.facts import Facts
from cloudping.ipinfo.mmdb import MmdbFile, watching

from .labdata import write_asn, write_ipinfo_lite

TARGET = ipaddress.ip_address("198.18.3.2")
CORE6 = ipaddress.ip_address("2001:db8:2::1")
LOOKUPS_AT_LEAST = 200  # look-ups made while the file is replaced, before and after


def test_a_geolite2_city_file_gives_country_region_city_and_coordinates(
    lab_files: tuple[Path, Path],
) -> None:
    city = MmdbFile(lab_files[0], "geoip-city")
    assert city.find(TARGET) == Facts(
        country="FR",
        region="Ile-de-France",
        city="Paris",
        latitude=51.0,
        longitude=5.0,
        network="198.18.3.0/24",
    )
    assert city.database_type == "GeoLite2-City"


def test_a_geolite2_asn_file_gives_the_network_of_v4_and_v6_addresses(
    lab_files: tuple[Path, Path],
) -> None:
    asn = MmdbFile(lab_files[1], "geoip-asn")
    assert asn.find(TARGET) == Facts(asn=65003, as_name="LAB-TARGET", network="198.18.3.0/24")
    assert asn.find(CORE6) == Facts(asn=65002, as_name="LAB-CORE", network="2001:db8:2::/48")


def test_an_ipinfo_lite_file_gives_asn_as_a_number_and_the_country_code(tmp_path: Path) -> None:
    lite = MmdbFile(write_ipinfo_lite(tmp_path / "lite.mmdb"), "ipinfo-lite")
    facts = lite.find(TARGET)
    assert facts is not None
    assert (facts.asn, facts.as_name, facts.country) == (65003, "LAB-TARGET", "FR")


def test_an_address_the_file_does_not_hold_is_none(lab_files: tuple[Path, Path]) -> None:
    assert MmdbFile(lab_files[1], "geoip-asn").find(ipaddress.ip_address("192.0.2.1")) is None


def test_a_file_that_is_not_mmdb_is_refused_at_start(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mmdb"
    bogus.write_bytes(b"not a database")
    with pytest.raises(CloudpingError) as refused:
        MmdbFile(bogus, "geoip-asn")
    assert refused.value.code == "bad_database"


def test_a_file_replaced_under_a_stream_of_lookups_never_fails_one_and_answers_anew(
    tmp_path: Path,
) -> None:
    path = write_asn(tmp_path / "asn.mmdb")
    source = MmdbFile(path, "geoip-asn")
    replaced = threading.Event()
    reloaded: list[bool] = []

    def replace() -> None:  # the updater: a new file by rename, then the watcher's reload
        write_asn(path, generation=1)
        reloaded.append(source.reload())
        replaced.set()

    names: list[str | None] = []
    updater = threading.Thread(target=replace)
    updater.start()
    while not replaced.is_set() or len(names) < LOOKUPS_AT_LEAST:
        facts = source.find(TARGET)  # raises if a swap ever broke a look-up
        assert facts is not None
        names.append(facts.as_name)
    updater.join(timeout=10)
    after = source.find(TARGET)
    assert reloaded == [True]
    assert set(names) <= {"LAB-TARGET", "LAB-TARGET-1"}
    assert after is not None
    assert after.as_name == "LAB-TARGET-1"
    assert source.generation == 1


def test_a_half_written_file_keeps_the_loaded_copy_answering(tmp_path: Path) -> None:
    path = write_asn(tmp_path / "asn.mmdb")
    source = MmdbFile(path, "geoip-asn")
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # an updater writing in place, caught midway
    assert source.reload() is False
    assert source.find(TARGET) == Facts(asn=65003, as_name="LAB-TARGET", network="198.18.3.0/24")
    write_asn(path, generation=2)
    assert source.reload() is True
    facts = source.find(TARGET)
    assert facts is not None
    assert facts.as_name == "LAB-TARGET-2"


def test_an_unchanged_file_is_not_read_again(lab_files: tuple[Path, Path]) -> None:
    source = MmdbFile(lab_files[1], "geoip-asn")
    assert source.reload() is False
    assert source.generation == 0


@pytest.mark.anyio
async def test_the_watcher_reloads_a_replaced_file_off_the_loop(tmp_path: Path) -> None:
    path = write_asn(tmp_path / "asn.mmdb")
    source = MmdbFile(path, "geoip-asn")
    await asyncio.to_thread(write_asn, path, 3)
    async with watching([source], every_s=0.01), asyncio.timeout(10):
        while source.generation == 0:  # bounded by the timeout; the watcher's period is short
            await asyncio.sleep(0.01)
    facts = source.find(TARGET)
    assert facts is not None
    assert facts.as_name == "LAB-TARGET-3"
