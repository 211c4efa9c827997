"""The structured form: from_json checks it as the parser checks text, naming fields."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudping.commands import (
    COMMAND_NAMES,
    HttpCommand,
    PingCommand,
    RouteCommand,
    Selection,
    TracerouteCommand,
    from_json,
)
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS


def test_missing_fields_take_their_defaults() -> None:
    assert from_json({"command": "ping", "targets": ["x"]}) == PingCommand(targets=("x",))


def test_the_command_name_may_be_an_alias_in_any_case() -> None:
    assert from_json({"command": "TRACE", "target": "x"}) == TracerouteCommand(target="x")


def test_a_command_line_under_command_is_parsed_as_text() -> None:
    assert from_json({"command": "ping -c 3 x"}) == PingCommand(targets=("x",), count=3)


def test_from_may_be_given_as_selector_text() -> None:
    command = from_json({"command": "ping", "targets": ["x"], "from": "fra1,DE+AS3320"})
    assert isinstance(command, PingCommand)
    assert command.from_ == Selection(selectors=(("fra1",), ("DE", "AS3320")))


def test_headers_may_be_given_as_name_value_text() -> None:
    command = from_json({"command": "http", "urls": ["https://x/"], "headers": ["A: b"]})
    assert command == HttpCommand(urls=("https://x/",), headers=(("A", "b"),))


def test_asns_may_be_given_with_their_as_prefix() -> None:
    assert from_json({"command": "route", "origin": "AS13335"}) == RouteCommand(origin=13335)


ERRORS: list[tuple[dict[str, Any], str, str | None]] = [
    (
        {"command": "ping", "targets": ["x"], "count": 0},
        "ping: count: 0 is out of range (1\u2013100)",
        "0",
    ),
    ({"command": "ping", "targets": ["x"], "count": 101}, "count: 101 is out of range", "101"),
    (
        {"command": "ping", "targets": ["x"], "count": "abc"},
        'count: "abc" is not a whole number',
        "abc",
    ),
    (
        {"command": "ping", "targets": ["x"], "count": True},
        "count: true is not a whole number",
        "true",
    ),
    ({"command": "ping", "targets": ["x"], "df": "yes"}, 'df: "yes" is not true or false', "yes"),
    (
        {"command": "ping", "targets": ["x"], "interval": 0.01},
        "interval: 0.01 is out of range",
        "0.01",
    ),
    ({"command": "ping", "targets": ["x"], "colour": 1}, 'ping: unknown field "colour"', "colour"),
    (
        {"command": "ping", "targets": ["x", "bad..x"]},
        'targets: "bad..x" is not a valid host',
        "bad..x",
    ),
    ({"command": "ping", "targets": "x"}, 'targets: "x" is not a list', "x"),
    ({"command": "ping", "targets": [f"h{i}" for i in range(11)]}, "too many targets: 11", "h10"),
    ({"command": "ping"}, 'ping: missing field "targets"', None),
    ({"command": "ping", "targets": []}, 'ping: missing field "targets"', None),
    (
        {"command": "ping", "targets": ["x"], "port": 80},
        "port: a port needs proto udp or tcp",
        "80",
    ),
    (
        {"command": "ping", "targets": ["x"], "from": {"limit": 99}},
        "from.limit: 99 is out of range",
        "99",
    ),
    (
        {"command": "ping", "targets": ["x"], "from": "DE++x"},
        'from: "DE++x" has an empty selector',
        "DE++x",
    ),
    (
        {"command": "ping", "targets": ["x"], "from": {"selectors": [[]]}},
        "from: [] has too few items (at least 1)",
        "[]",
    ),
    (
        {"command": "route", "origin": 1, "neighbor": 2},
        "route: neighbor: conflicts with origin",
        "2",
    ),
    (
        {"command": "scan", "cidr": "10.0.0.0/8"},
        "scan: cidr: 10.0.0.0/8 is too large",
        "10.0.0.0/8",
    ),
    ({"command": "pnig"}, 'unknown command "pnig" (did you mean ping?)', "pnig"),
    ({"targets": ["x"]}, 'missing field "command"', None),
    ({"command": 3}, 'missing field "command"', None),
]


@pytest.mark.parametrize(("obj", "fragment", "word"), ERRORS)
def test_a_bad_structured_form_names_the_field_and_value(
    obj: dict[str, Any], fragment: str, word: str | None
) -> None:
    with pytest.raises(UsageError) as caught:
        from_json(obj)
    assert fragment in caught.value.message
    if word is not None:
        assert caught.value.word == word


def test_a_structured_form_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(UsageError, match="JSON object"):
        from_json(["ping", "x"])  # type: ignore[arg-type]


def test_a_non_string_key_is_an_unknown_field() -> None:
    with pytest.raises(UsageError, match="unknown field"):
        from_json({"command": "version", 1: 2})  # type: ignore[dict-item]


def test_the_structured_form_is_checked_against_the_given_limits() -> None:
    wide = dataclasses.replace(DEFAULT_LIMITS, count_max=1000)
    command = from_json({"command": "ping", "targets": ["x"], "count": 500}, limits=wide)
    assert command == PingCommand(targets=("x",), count=500)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "targets",
        "target",
        "count",
        "interval",
        "from",
        "headers",
        "type",
        "cidr",
        "urls",
        "names",
        "addresses",
        "prefix",
        "origin",
        "path",
        "selector",
        "topic",
        "family",
        "port",
        "proto",
        "x",
    ]
)


@given(st.sampled_from(COMMAND_NAMES), st.dictionaries(_KEYS, _JSON, max_size=5))
def test_any_json_parses_or_raises_a_usage_error(name: str, fields: dict[str, Any]) -> None:
    error: UsageError | None = None
    try:
        from_json({"command": name, **fields})
    except UsageError as exc:
        error = exc
    assert error is None or error.message.startswith(f"{name}: ")
