"""Lab MMDB files, written once for the whole directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from .labdata import write_asn, write_city


@pytest.fixture(scope="session")
def lab_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(city file, ASN file) for the lab ranges."""
    folder = tmp_path_factory.mktemp("mmdb")
    return write_city(folder / "city.mmdb"), write_asn(folder / "asn.mmdb")
