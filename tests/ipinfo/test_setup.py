"""Which providers a process starts with: the files named, the keyless country database, and
the HTTP providers whose key the environment holds (never shown)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from cloudping.errors import CloudpingError
from cloudping.ipinfo.setup import IpinfoSettings, RemoteSettings, build, remote_from_env


def test_providers_come_from_keys_in_the_environment_or_in_files(tmp_path: Path) -> None:
    key_file = tmp_path / "ip2location.key"
    key_file.write_text("k-from-file\n")
    env = {
        "CLOUDPING_IPINFO_TOKEN": "k-inline",
        "CLOUDPING_IP2LOCATION_KEY_FILE": str(key_file),
        "CLOUDPING_IP2LOCATION_URL": "http://127.0.0.1:9",
    }
    found = remote_from_env(env)
    assert found == (
        RemoteSettings("ipinfo", "k-inline"),
        RemoteSettings("ip2location", "k-from-file", "http://127.0.0.1:9"),
    )
    assert "k-inline" not in repr(found)


def test_a_key_file_that_cannot_be_read_is_refused_naming_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope")
    with pytest.raises(CloudpingError) as refused:
        remote_from_env({"CLOUDPING_IPREGISTRY_KEY_FILE": missing})
    assert refused.value.code == "bad_key_file"
    assert missing in refused.value.message


def test_with_no_key_and_no_file_country_still_comes_from_the_keyless_database() -> None:
    ipinfo = build(IpinfoSettings())
    assert ipinfo.names == ("geoacumen",)
    # A file look-up only (no packet leaves): RIPE NCC's own address is in the Netherlands;
    # an address Geoacumen does not place ("None" in the file) has no country.
    assert ipinfo.local(ipaddress.ip_address("193.0.0.1")).country == "NL"
    assert ipinfo.local(ipaddress.ip_address("192.0.2.1")).country is None


def test_the_files_answer_before_the_keyless_database(lab_files: tuple[Path, Path]) -> None:
    city, asn = lab_files
    ipinfo = build(IpinfoSettings(city=city, asn=asn))
    assert ipinfo.names == ("geoip-asn", "geoip-city", "geoacumen")
    assert ipinfo.local(ipaddress.ip_address("198.18.3.2")).country == "FR"
