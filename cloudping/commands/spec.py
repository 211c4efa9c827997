"""The shape of a command definition: its options, its positional argument, its model.

One ``CommandSpec`` per command (in ``table.py``) drives the parser, the formatter, the help
text and the JSON Schema, so that none of them repeats what another knows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from cloudping.commands.commandnames import SUMMARIES
from cloudping.commands.model import CommandModel
from cloudping.commands.selection import Selection
from cloudping.policy import Limits

Bounds = Callable[[Limits], tuple[float, float]]
Violation = tuple[str, str]  # (key, message) of a policy check that failed
Check = Callable[[CommandModel, Limits], Violation | None]


@dataclass(frozen=True, slots=True)
class Kind:
    """How one value reads in text and what it is in JSON Schema.

    Attributes:
        schema: the JSON Schema of one value (ranges from the policy are added on top).
        render: the value as the word that parses back to it.
    """

    schema: Mapping[str, Any]
    render: Callable[[Any], str] = str


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of a command.

    Attributes:
        key: the JSON key it sets; ``from.selectors`` sets ``selectors`` inside ``from``.
        flags: its spellings, the canonical one first (``-c``, ``--count``); none for a field
            only the structured form carries (``ca_pem``: no word of a command line sets it).
        help: one line for the help text and the schema description.
        kind: how its value reads and what it is in JSON.
        metavar: the name of its value in usage; empty for a flag that takes no value.
        bounds: the policy range of its value, from the limits in force.
        const: what a flag without value sets (True, or 4 for ``-4``).
        repeat: it may be given several times, each adding one item (``-H``).
    """

    key: str
    flags: tuple[str, ...]
    help: str
    kind: Kind
    metavar: str = ""
    bounds: Bounds | None = None
    const: object = None
    repeat: bool = False

    @property
    def takes_value(self) -> bool:
        """True when the option reads the next word (or ``=value``, or ``-c5``)."""
        return bool(self.metavar)

    @property
    def in_text(self) -> bool:
        """True when a command line can set it (it has a spelling)."""
        return bool(self.flags)

    @property
    def flag(self) -> str:
        """The canonical spelling."""
        return self.flags[0]


@dataclass(frozen=True, slots=True)
class PositionalSpec:
    """The positional argument of a command (``TARGET...``).

    Attributes:
        key: the JSON key it fills.
        metavar: its name in usage and in "missing TARGET".
        help: one line for the help text and the schema description.
        kind: how one item reads and what it is in JSON.
        noun: what "too many ..." counts (``targets``).
        many: it takes several words (a tuple) rather than one.
        required: the command needs at least one word of it.
        bounds: the policy range of the number of items.
    """

    key: str
    metavar: str
    help: str
    kind: Kind
    noun: str
    many: bool = False
    required: bool = True
    bounds: Bounds | None = None

    @property
    def usage(self) -> str:
        """``TARGET...``, ``TARGET`` or ``[TARGET]``."""
        text = f"{self.metavar}..." if self.many else self.metavar
        return text if self.required else f"[{text}]"


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """Everything the command layer knows about one command.

    Attributes:
        name: the canonical name.
        model: the model its words become.
        options: its options, in usage order.
        positional: its positional argument, if any.
        examples: command lines shown in help (and parsed by the tests).
        check: a policy check beyond single ranges (the size of a scan).
        note: a paragraph the help text adds after the options.
    """

    name: str
    model: type[CommandModel]
    options: tuple[OptionSpec, ...] = ()
    positional: PositionalSpec | None = None
    examples: tuple[str, ...] = ()
    check: Check | None = None
    note: str = ""

    @property
    def summary(self) -> str:
        """One line for the list of commands, the help and the schema."""
        return SUMMARIES[self.name]

    @property
    def takes_from(self) -> bool:
        """True when the command runs on agents chosen with FROM."""
        return any(option.key.startswith("from.") for option in self.options)

    def option(self, flag: str) -> OptionSpec | None:
        """The option spelled ``flag``, if any."""
        return next((option for option in self.options if flag in option.flags), None)

    @property
    def text_options(self) -> tuple[OptionSpec, ...]:
        """The options a command line can set."""
        return tuple(option for option in self.options if option.in_text)

    @property
    def flags(self) -> list[str]:
        """Every spelling of every option (for "did you mean")."""
        return [flag for option in self.options for flag in option.flags]


def attribute(key: str) -> str:
    """The model attribute behind a JSON key (``from`` is ``from_``, a Python keyword)."""
    return "from_" if key == "from" else key


def value_of(command: BaseModel, key: str) -> Any:
    """The value at ``key`` (``from.limit``: the limit inside ``from``, None when no ``from``)."""
    head, _, rest = key.partition(".")
    value = getattr(command, attribute(head))
    if rest:
        return None if value is None else getattr(value, rest)
    return value


def default_of(model: type[BaseModel], key: str) -> Any:
    """The default of the field at ``key``."""
    head, _, rest = key.partition(".")
    if rest:
        return Selection.model_fields[rest].default
    return model.model_fields[attribute(head)].default
