"""The CLI's own options, taken out once before the grammar, and the hub they name."""

from __future__ import annotations

import pytest

from cloudping.channels.cli.options import CliOptions, split_options
from cloudping.errors import UsageError
from cloudping.runner import HubTarget, hub_target


def test_process_options_are_taken_anywhere_before_a_double_dash() -> None:
    options, words = split_options(
        ["ping", "--json", "-c", "1", "--hub=http://h:1/", "x", "--token", "T", "--png", "a.png"]
    )
    assert options == CliOptions(json=True, png="a.png", hub="http://h:1/", token="T")  # noqa: S106
    assert words == ["ping", "-c", "1", "x"]


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_is_the_clis_own_so_the_command_is_the_same(flag: str) -> None:
    options, words = split_options(["scan", flag, "198.18.3.0/24"])
    assert options == CliOptions(verbose=True)
    assert words == ["scan", "198.18.3.0/24"]


def test_words_after_a_double_dash_are_the_grammars() -> None:
    options, words = split_options(["http", "--", "--json", "--png", "x", "--hub"])
    assert options == CliOptions()
    assert words == ["http", "--", "--json", "--png", "x", "--hub"]


def test_grammar_options_are_left_alone() -> None:
    # -s is the grammar's --from (design.md): never a process option.
    assert split_options(["ping", "-s", "fra1", "--size", "100", "x"])[1] == [
        "ping", "-s", "fra1", "--size", "100", "x",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "198.18.3.0/24", "--png"], "--png needs a file name"),
        (["scan", "--png=", "198.18.3.0/24"], "--png needs a file name"),
        (["ping", "--hub"], "--hub needs a value"),
        (["ping", "--token", "--", "x"], "--token needs a value"),
    ],
)
def test_an_option_without_its_value_is_a_usage_error(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        split_options(argv)


def test_the_hub_comes_from_the_options_then_the_environment() -> None:
    assert hub_target("http://h:1/", "T", {}) == HubTarget("http://h:1", "T")
    env = {"CLOUDPING_HUB": "https://h", "CLOUDPING_TOKEN": "E"}
    assert hub_target(None, None, env) == HubTarget("https://h", "E")
    assert hub_target(None, None, {"CLOUDPING_TOKEN": "E"}) is None
    assert "secret" not in repr(HubTarget("http://h", "secret"))


@pytest.mark.parametrize(("url", "token"), [(None, "T"), ("h:1", None)])
def test_a_token_without_a_hub_or_a_hub_that_is_not_a_url_is_refused(
    url: str | None, token: str | None
) -> None:
    with pytest.raises(UsageError):
        hub_target(url, token, {})
