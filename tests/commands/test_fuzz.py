"""Hostile text and JSON through the grammar: a command or a UsageError, never anything else;
what parses formats back to itself."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudping.commands import Command, format_command, from_json, parse, to_json
from cloudping.errors import UsageError

from .strategies import commands, hostile_forms, hostile_texts, hostile_words

FUZZ = settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
# Valid command lines with hostile words spliced in, so that many examples get past the lexer.
spliced = st.builds(
    lambda command, word, position: _splice(format_command(command), word, position),
    commands,
    hostile_words,
    st.integers(0, 12),
)


def _splice(line: str, word: str, position: int) -> str:
    words = line.split(" ")
    words.insert(min(position, len(words)), word)
    return " ".join(words)


def _outcome(call: Any, value: Any) -> Command | UsageError:
    """The command, or the UsageError; any other exception fails the test."""
    try:
        result: Command = call(value)
    except UsageError as exc:
        return exc
    return result


def _formats_back(command: Command) -> bool:
    # A certificate (ca_pem) has no words: the text form shows the rest of the command.
    return getattr(command, "ca_pem", None) is None


@FUZZ
@given(st.one_of(hostile_texts, spliced))
def test_any_text_parses_to_a_command_that_formats_back_or_is_a_usage_error(text: str) -> None:
    outcome = _outcome(parse, text)
    if isinstance(outcome, UsageError):
        assert outcome.message
        return
    assert parse(format_command(outcome)) == outcome


@FUZZ
@given(hostile_forms)
def test_any_json_form_is_a_command_that_round_trips_or_a_usage_error(form: Any) -> None:
    outcome = _outcome(from_json, form)
    if isinstance(outcome, UsageError):
        assert outcome.message
        return
    assert from_json(to_json(outcome)) == outcome
    if _formats_back(outcome):
        assert parse(format_command(outcome)) == outcome
