"""JSON Schemas of the structured forms: valid, ranged by the limits, described by the help."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from jsonschema import Draft202012Validator

from cloudping.commands import COMMAND_NAMES, Command, json_schema, to_json
from cloudping.commands.table import SPECS
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS

from .strategies import commands


def _is_valid(name: str, instance: dict[str, Any], **kwargs: Any) -> bool:
    return bool(Draft202012Validator(json_schema(name, **kwargs)).is_valid(instance))


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_schema_is_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(json_schema(name))


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_every_schema_forbids_unknown_fields_and_requires_the_command(name: str) -> None:
    schema = json_schema(name)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["command"] == {"const": name, "description": SPECS[name].summary}
    assert "command" in schema["required"]


@settings(max_examples=300)
@given(commands)
def test_the_json_form_of_a_valid_command_validates(command: Command) -> None:
    Draft202012Validator(json_schema(command.command)).validate(to_json(command))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", 0),
        ("count", 101),
        ("interval", 0.1),
        ("timeout", 31),
        ("ttl", 0),
        ("size", 65501),
        ("proto", "sctp"),
        ("family", 5),
        ("port", 70000),
        ("df", "yes"),
    ],
)
def test_an_out_of_range_value_does_not_validate(field: str, value: object) -> None:
    assert _is_valid("ping", {"command": "ping", "targets": ["x"]})
    assert not _is_valid("ping", {"command": "ping", "targets": ["x"], field: value})


def test_too_many_targets_do_not_validate() -> None:
    instance = {"command": "ping", "targets": [f"h{i}" for i in range(11)]}
    assert not _is_valid("ping", instance)


def test_ranges_come_from_the_limits() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, count_max=500, privileged=True, max_targets=3)
    properties = json_schema("ping", limits=limits)["properties"]
    assert (properties["count"]["minimum"], properties["count"]["maximum"]) == (1, 500)
    assert properties["interval"]["minimum"] == 0.001
    assert properties["targets"]["maxItems"] == 3


def test_the_default_ranges_are_the_default_limits() -> None:
    properties = json_schema("ping")["properties"]
    assert (properties["count"]["minimum"], properties["count"]["maximum"]) == (1, 100)
    assert (properties["interval"]["minimum"], properties["interval"]["maximum"]) == (0.2, 60.0)


def test_the_from_field_holds_selectors_and_a_limit() -> None:
    schema = json_schema("ping")["properties"]["from"]
    assert schema["type"] == ["object", "null"]
    assert set(schema["properties"]) == {"selectors", "limit"}
    assert schema["properties"]["limit"]["maximum"] == DEFAULT_LIMITS.selection_limit_max


def test_nullable_fields_admit_null_and_say_so_by_default() -> None:
    properties = json_schema("ping")["properties"]
    assert properties["ttl"]["type"] == ["integer", "null"]
    assert properties["family"]["enum"] == [4, 6, None]
    assert properties["ttl"]["default"] is None


def test_defaults_are_published() -> None:
    properties = json_schema("ping")["properties"]
    assert (properties["count"]["default"], properties["proto"]["default"]) == (4, "icmp")


@pytest.mark.parametrize("name", COMMAND_NAMES)
def test_descriptions_are_the_help_strings(name: str) -> None:
    spec = SPECS[name]
    properties = json_schema(name)["properties"]
    for option in spec.options:
        key = option.key.split(".")[-1]
        holder = properties["from"]["properties"] if option.key.startswith("from.") else properties
        assert option.help in holder[key]["description"]
    if spec.positional is not None:
        assert spec.positional.help in properties[spec.positional.key]["description"]


def test_an_alias_gives_the_schema_of_its_command() -> None:
    assert json_schema("trace") == json_schema("traceroute")


def test_an_unknown_name_has_no_schema() -> None:
    with pytest.raises(UsageError, match="unknown command"):
        json_schema("pnig")
