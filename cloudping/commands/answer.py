"""What a command that is not a measurement answers (``list``, ``version``, ``help``): text
for people and JSON for programs, the same from the command service and from a hub's API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Answer:
    """A command's answer: ``text`` for people, ``data`` (JSON) for programs."""

    command: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """One JSON document: the command, the text, and the data's own keys."""
        return {"command": self.command, "text": self.text, **self.data}

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Answer:
        """The answer :meth:`to_json` wrote.

        Raises:
            ValueError: ``command`` or ``text`` is missing or not text.
        """
        command, text = document.get("command"), document.get("text")
        if not isinstance(command, str) or not isinstance(text, str):
            raise ValueError("an answer has a command and a text")
        data = {key: value for key, value in document.items() if key not in ("command", "text")}
        return cls(command, text, data)


def help_answer(topic: str | None) -> Answer:
    """The grammar's help on ``topic`` (a command), or the list of commands."""
    from cloudping.commands.help import help_text  # noqa: PLC0415 (help imports the table)

    return Answer("help", help_text(topic), {"topic": topic})
