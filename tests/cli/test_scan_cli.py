"""`cloudping scan` input errors and `--png` handling, in-process: nothing is sent."""

from __future__ import annotations

import pytest

from cloudping.main import main


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["scan", "198.0.0.0/8"], ["198.0.0.0/8 is too large", "16777216", "at most /20"]),
        (["scan", "2001:db8::/64"], ["too large", "at most 4096 addresses"]),
        (["scan", "224.0.0.0/24"], ["multicast"]),
        (["scan", "ff02::/120"], ["multicast"]),
        (["scan", "169.254.1.0/24"], ["link-local"]),
        (["scan", "fe80::/120"], ["link-local"]),
        (["scan", "--proto", "tcp", "-p", "0", "198.18.3.0/24"], ["-p: 0", "(1\u201365535)"]),
        (["scan", "-r", "-1", "198.18.3.0/24"], ["-r: -1", "(0\u20135)"]),
        (["scan", "-r", "9", "198.18.3.0/24"], ["-r: 9", "(0\u20135)"]),
        (["scan", "--rate", "-5", "198.18.3.0/24"], ["--rate: -5", "(1\u201310000)"]),
        (["scan", "--rate", "20000", "198.18.3.0/24"], ["--rate: 20000", "(1\u201310000)"]),
        (["scan", "-p", "80", "198.18.3.0/24"], ["udp or tcp"]),
    ],
)
def test_bad_scans_exit_2_naming_the_limit(
    argv: list[str], fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith("cloudping: ")
    for fragment in fragments:
        assert fragment in first
    assert "usage: cloudping scan" in err
    assert "Traceback" not in err


def test_png_without_a_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "198.18.3.0/24", "--png"]) == 2
    assert "--png needs a file name" in capsys.readouterr().err
