"""``cloudping route ingest|status`` (the operator's tools) and ``cloudping route ...
--data-dir DIR`` (a lookup without a hub), through the ``cloudping`` entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudping.main import main

from .mrtbytes import small_table


@pytest.fixture
def data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    dump = tmp_path / "rib.mrt"
    dump.write_bytes(small_table(64501))
    data = tmp_path / "data"
    assert main(["route", "ingest", str(dump), "--source", "lab", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out.startswith("lab: 3 routes, 2 prefixes, 2 peers; serving from")
    return data


def test_status_lists_each_source_as_text_and_as_json(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["route", "status", "--data-dir", str(data_dir)]) == 0
    assert capsys.readouterr().out.startswith("lab: 3 routes, 2 peers, dump ")
    assert main(["route", "status", "--json", "--data-dir", str(data_dir)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["entries"] == 3


def test_a_truncated_dump_is_a_clear_error_and_exit_2(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.mrt"
    cut.write_bytes(small_table(64502)[:-7])
    assert main(["route", "ingest", str(cut), "--source", "lab", "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "ends inside a record" in err
    assert "(mrt_truncated)" in err
    assert main(["route", "--origin", "64501", "--data-dir", str(data_dir)]) == 0
    assert "203.0.113.0/24  AS64501" in capsys.readouterr().out


def test_a_lookup_here_prints_one_json_object_per_route(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["route", "203.0.113.1", "--json", "--data-dir", str(data_dir)]) == 0
    routes = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["peer_as"], r["origin_as"]) for r in routes] == [(64500, 64501), (4200000001, 64501)]


def test_data_dir_is_for_route_only(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version", "--data-dir", str(data_dir)]) == 2
    assert "--data-dir is for route only" in capsys.readouterr().err


def test_no_source_is_an_error_that_says_how_to_import_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["route", "--origin", "1", "--data-dir", str(tmp_path)]) == 2
    assert "cloudping route ingest FILE --source NAME" in capsys.readouterr().err
