"""The CLI channel in-process: help, usage errors and exit statuses (no packets sent)."""

from __future__ import annotations

import pytest

from cloudping import __version__
from cloudping.main import main


def test_no_arguments_print_the_overview_with_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for name in ("ping", "traceroute", "mtr", "tcping", "dns", "http", "scan", "ipinfo", "route"):
        assert name in out


@pytest.mark.parametrize("argv", [["help", "ping"], ["ping", "--help"], ["ping", "-h"]])
def test_command_help_lists_its_options(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "usage: cloudping ping" in out
    for flag in ("-c", "--count", "-i", "-W", "--size", "--ttl", "--df"):
        assert flag in out


@pytest.mark.parametrize("argv", [["--version"], ["version"]])
def test_version_prints_the_package_version(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == f"cloudping {__version__}"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["pnig", "x"], '"pnig"'),
        (["ping"], "TARGET"),
        (["ping", "-c", "abc", "x"], '"abc"'),
        (["ping", "-c", "0", "x"], "0"),
        (["ping", "--cout", "3", "x"], "--cout"),
        (["ping", "-i", "-1", "x"], "-1"),
        (["ping", "bad..name"], "bad..name"),
    ],
)
def test_usage_errors_exit_2_naming_the_word_with_the_usage(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    first, *rest = captured.err.splitlines()
    assert first.startswith("cloudping: ")
    assert fragment in first
    if argv[0] == "ping":
        assert rest == [line for line in rest if line]
        assert rest[0].startswith("usage: cloudping ping")
    assert "Traceback" not in captured.err


def test_commands_without_a_probe_yet_say_so_in_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["route", "198.18.0.0/15"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()  # one line: no usage dump
    assert line.startswith("cloudping: route is not available yet")
    assert "ping" in line


def test_help_prints_one_usage_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["help"]) == 0
    out = capsys.readouterr().out
    usages = [line for line in out.splitlines() if "usage:" in line]
    assert usages == [
        "usage: cloudping [--json] [-v] [--png FILE] [--hub URL [--token T]] COMMAND [OPTIONS]"
    ]


def test_an_unknown_command_shows_the_cli_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pnig", "x"]) == 2
    assert capsys.readouterr().err.splitlines()[1].startswith("usage: cloudping COMMAND ")
