"""``cloudping ipinfo --update``: the free databases fetched from (loopback) base URLs,
verified, swapped in atomically; a bad download keeps the copy in place."""

from __future__ import annotations

import functools
import gzip
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cloudping.channels.cli.exits import EXIT_ERROR
from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.update import updated_files
from cloudping.main import main

from .labdata import write_asn, write_city, write_ipinfo_lite

MONTH = datetime.now(UTC).strftime("%Y-%m")


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The test reads the files, not the log."""


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on a free loopback port: (the folder, its URL)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def publish(folder: Path, name: str, mmdb: Path) -> None:
    """``mmdb`` gzipped under ``name`` in the mirror, as DB-IP publishes its files."""
    (folder / name).write_bytes(gzip.compress(mmdb.read_bytes()))


def update(data_dir: Path, url: str) -> int:
    argv = ["ipinfo", "--update", "--data-dir", str(data_dir)]
    return main([*argv, "--dbip-url", url, "--ipinfo-data-url", url])


def test_update_fetches_verifies_and_places_the_files_the_hub_then_uses(
    mirror: tuple[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    folder, url = mirror
    publish(folder, f"dbip-city-lite-{MONTH}.mmdb.gz", write_city(tmp_path / "c.mmdb"))
    publish(folder, f"dbip-asn-lite-{MONTH}.mmdb.gz", write_asn(tmp_path / "a.mmdb"))
    write_ipinfo_lite(folder / "ipinfo_lite.mmdb")
    monkeypatch.setenv("CLOUDPING_IPINFO_TOKEN", "t-secret")
    data_dir = tmp_path / "data"
    with caplog.at_level(logging.INFO):
        assert update(data_dir, url) == 0
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ipinfo_lite.mmdb?token=<secret>" in logged  # httpx logged it, blanked
    assert "t-secret" not in logged
    city, asn = updated_files(data_dir)
    assert city is not None
    assert asn is not None
    assert asn.name == "ipinfo-lite.mmdb"  # IPinfo Lite, when fetched, before DB-IP's ASN file
    assert MmdbFile(city, "c").database_type == "GeoLite2-City"
    assert sorted(p.name for p in (data_dir / "ipinfo").iterdir()) == [
        "dbip-asn-lite.mmdb",
        "dbip-city-lite.mmdb",
        "ipinfo-lite.mmdb",
    ]  # no temporary file left


def test_a_download_that_is_not_the_database_keeps_the_copy_in_place(
    mirror: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, url = mirror
    publish(folder, f"dbip-city-lite-{MONTH}.mmdb.gz", write_city(tmp_path / "c.mmdb"))
    publish(folder, f"dbip-asn-lite-{MONTH}.mmdb.gz", write_asn(tmp_path / "a.mmdb"))
    data_dir = tmp_path / "data"
    assert update(data_dir, url) == 0
    before = (data_dir / "ipinfo" / "dbip-city-lite.mmdb").read_bytes()
    (folder / f"dbip-city-lite-{MONTH}.mmdb.gz").write_bytes(gzip.compress(b"not a database"))
    assert update(data_dir, url) == EXIT_ERROR
    assert "dbip-city: the file is not a readable MMDB database" in capsys.readouterr().err
    assert (data_dir / "ipinfo" / "dbip-city-lite.mmdb").read_bytes() == before


def test_a_file_of_the_wrong_layout_is_refused(
    mirror: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, url = mirror
    # An ASN file where the city file should be: opens, but is not what was asked for.
    publish(folder, f"dbip-city-lite-{MONTH}.mmdb.gz", write_asn(tmp_path / "a.mmdb"))
    assert update(tmp_path / "data", url) == EXIT_ERROR
    assert "not city" in capsys.readouterr().err
    assert updated_files(tmp_path / "data") == (None, None)


def test_a_missing_file_on_the_server_is_an_error_without_the_token(
    mirror: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert update(tmp_path / "data", mirror[1]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "answered HTTP 404" in err
