"""Splitting a command line into words, with shell-like quoting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudping.commands.lexer import quote, split_line
from cloudping.errors import UsageError


def test_words_are_separated_by_any_run_of_whitespace() -> None:
    assert split_line("  ping\t\t-c   3 \u00a0x ") == ["ping", "-c", "3", "x"]


def test_single_quotes_keep_spaces_and_colons() -> None:
    assert split_line("http -H 'X-A: b c' u") == ["http", "-H", "X-A: b c", "u"]


def test_double_quotes_allow_escaped_quotes_and_backslashes() -> None:
    assert split_line(r'-d "a \"b\" \\ c"') == ["-d", 'a "b" \\ c']


def test_a_backslash_outside_quotes_keeps_the_next_character() -> None:
    assert split_line(r"a\ b c") == ["a b", "c"]


def test_a_trailing_backslash_is_kept() -> None:
    assert split_line("a\\") == ["a\\"]


def test_an_empty_quoted_string_is_a_word() -> None:
    assert split_line("-d '' x") == ["-d", "", "x"]


def test_quotes_inside_a_word_join_with_it() -> None:
    assert split_line("a'b c'd") == ["ab cd"]


def test_typographic_quotes_from_phones_quote_too() -> None:
    line = "http -H \u2018X-A: b\u2019 -d \u201cx y\u201d"
    assert split_line(line) == ["http", "-H", "X-A: b", "-d", "x y"]


def test_a_closing_typographic_quote_alone_is_an_ordinary_character() -> None:
    assert split_line("don\u2019t") == ["don\u2019t"]


@pytest.mark.parametrize("line", ["ping 'x", 'ping "x', "ping \u201cx", "ping \u2018x"])
def test_an_unterminated_quote_is_a_usage_error_naming_it(line: str) -> None:
    with pytest.raises(UsageError, match="unterminated quote") as caught:
        split_line(line)
    assert caught.value.word == line[5:]


@given(st.text())
def test_quote_makes_any_word_read_back_as_itself(word: str) -> None:
    assert split_line(quote(word)) == [word]


def test_a_plain_word_is_not_quoted() -> None:
    assert quote("example.com") == "example.com"
