"""Which agents run a command: ``-s fra1,DE+AS3320 --limit 2``.

Alternatives are separated by commas; the terms of one alternative, joined by ``+``, must all
match the same agent (``DE+AS3320``: an agent in Germany and in AS3320).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from cloudping.commands.values import shown, whole_number

# Letters, digits, '-', '_', '.'; never a leading '-' (it would read as an option).
TERM_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}"
_TERM = re.compile(TERM_PATTERN)
MAX_ALTERNATIVES = 32
MAX_TERMS = 8


def check_term(term: str) -> str:
    """One selector term, as typed."""
    if not term:
        raise ValueError("empty selector")
    if not _TERM.fullmatch(term):
        raise ValueError(f"{shown(term)} is not a valid selector (letters, digits, '.', '_', '-')")
    return term


Term = Annotated[str, AfterValidator(check_term)]
Alternative = Annotated[tuple[Term, ...], Field(min_length=1, max_length=MAX_TERMS)]


def parse_selectors(text: str) -> tuple[tuple[str, ...], ...]:
    """``"fra1,DE+AS3320"`` -> ``(("fra1",), ("DE", "AS3320"))``.

    Raises:
        ValueError: naming the text when a term is empty or has a character outside the set.
    """
    if not text:
        raise ValueError("empty selector")
    alternatives = [tuple(alternative.split("+")) for alternative in text.split(",")]
    for terms in alternatives:
        for term in terms:
            if not term:
                raise ValueError(f"{shown(text)} has an empty selector")
            check_term(term)
    return tuple(alternatives)


def format_selectors(selectors: tuple[tuple[str, ...], ...]) -> str:
    """The inverse of :func:`parse_selectors`."""
    return ",".join("+".join(terms) for terms in selectors)


def _selectors(value: object) -> object:
    return parse_selectors(value) if isinstance(value, str) else value


class Selection(BaseModel):
    """A choice of agents: any alternative may match; all terms of an alternative must.

    ``selectors=()`` with a ``limit`` means "any agents, this many of them".
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use

    selectors: Annotated[
        tuple[Alternative, ...],
        BeforeValidator(_selectors),
        Field(max_length=MAX_ALTERNATIVES),
    ] = ()
    limit: Annotated[int, BeforeValidator(whole_number), Field(ge=1)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"selectors": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.selectors and self.limit is None:
            raise ValueError("empty selection: give selectors or a limit")
        return self

    @property
    def text(self) -> str:
        """The selectors as typed: ``fra1,DE+AS3320``."""
        return format_selectors(self.selectors)

    def __str__(self) -> str:
        return self.text
