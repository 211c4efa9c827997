"""``cloudping ipinfo`` and the hop annotation of a local run, from the files the process
options name (``--geoip-city``, ``--geoip-asn``): never grammar options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ipinfo.labdata import write_asn, write_city
from lab import Lab
from upprocess import cloudping_argv

from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.main import main


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("cli-mmdb")
    city, asn = write_city(folder / "city.mmdb"), write_asn(folder / "asn.mmdb")
    return ["--geoip-city", str(city), "--geoip-asn", str(asn)]


def test_ipinfo_answers_here_from_the_files_named(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*files, "ipinfo", "198.18.1.2", "2001:db8:2::1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "198.18.1.2  AS65001 LAB-EDGE  Berlin, Land Berlin, DE  special: Benchmarking",
        "2001:db8:2::1  AS65002 LAB-CORE  Amsterdam, North Holland, NL  special: Documentation",
    ]


def test_ipinfo_json_is_one_object_per_address(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ipinfo", "--json", *files, "198.18.3.2"]) == 0
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert (result["asn"], result["country"], result["special"]) == (65003, "FR", "Benchmarking")


def test_the_files_are_refused_with_a_hub_whose_providers_answer(
    files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*files, "--hub", "http://127.0.0.1:9", "ipinfo", "198.18.3.2"]
    assert main(argv) == 2
    assert "--geoip-city is read by a local run" in capsys.readouterr().err


def test_a_file_that_is_not_mmdb_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.mmdb"
    bogus.write_text("no")
    assert main(["--geoip-asn", str(bogus), "ipinfo", "198.18.3.2"]) == EXIT_ERROR
    assert f"{bogus} is not a readable MMDB file" in capsys.readouterr().err


def test_a_local_traceroute_in_the_lab_shows_each_hop_as_mtr_z_does(
    lab: Lab, files: list[str]
) -> None:
    argv = cloudping_argv(*files, "traceroute", "-q", "1", "-W", "1", lab.addr("target", 4))
    out = lab.run("agent", argv, timeout=30).stdout
    hops = [line for line in out.splitlines() if line[:2].strip().isdigit()]
    assert [line.split()[1:3] for line in hops] == [
        ["198.18.1.1", "[AS65001"],
        ["198.18.2.2", "[AS65002"],
        ["198.18.3.2", "[AS65003"],
    ]
    assert "[AS65003 LAB-TARGET]" in hops[-1]
