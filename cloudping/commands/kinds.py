"""The kinds of values options take: how each reads in text and what it is in JSON Schema."""

from __future__ import annotations

from typing import Any, get_args

from cloudping.commands.dnstypes import RECORD_TYPES
from cloudping.commands.fieldtypes import MAX_TEXT, Method
from cloudping.commands.names import ASN_MAX
from cloudping.commands.pem import MAX_PEM_CHARS
from cloudping.commands.selection import MAX_ALTERNATIVES, MAX_TERMS, TERM_PATTERN, format_selectors
from cloudping.commands.spec import Kind
from cloudping.commands.values import render_seconds

_STRING = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}


def choice(literal: Any) -> Kind:
    """The kind of a ``Literal[...]`` field: one of its values."""
    return Kind({"enum": list(get_args(literal))})


def choice_of(values: tuple[str, ...]) -> Kind:
    """The kind of a word that must be one of ``values``."""
    return Kind({"enum": list(values)})


def string(**schema: Any) -> Kind:
    """A word kept as typed (a host, a URL), with extra schema keywords."""
    return Kind({**_STRING, **schema})


def _header(pair: tuple[str, str]) -> str:
    name, value = pair
    return f"{name}: {value}" if value else f"{name}:"


def _asn(number: int) -> str:
    return f"AS{number}"


def _as_path(path: tuple[int, ...]) -> str:
    return " ".join(_asn(number) for number in path)


INTEGER = Kind({"type": "integer"})
SECONDS = Kind({"type": "number", "exclusiveMinimum": 0}, render_seconds)
FLAG = Kind({"type": "boolean"})
FAMILY = Kind({"enum": [4, 6]})
TEXT = Kind({"type": "string", "maxLength": MAX_TEXT})
PEM = Kind(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_PEM_CHARS,
        "contentMediaType": "application/pem-certificate-chain",
    }
)
COMMUNITY = string(pattern="^[0-9]{1,10}:[0-9]{1,10}(:[0-9]{1,10})?$")
NAME = string(pattern="^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
METHOD = choice(Method)
HEADER = Kind(
    {
        "type": "array",
        "prefixItems": [
            {"type": "string", "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"},
            {"type": "string", "pattern": "^[ -~]*$"},
        ],
        "minItems": 2,
        "maxItems": 2,
    },
    _header,
)
ASN = Kind({"type": "integer", "minimum": 1, "maximum": ASN_MAX}, _asn)
AS_PATH = Kind({"type": "array", "items": ASN.schema, "minItems": 1, "maxItems": 32}, _as_path)
RECORD_TYPE = Kind(
    {"anyOf": [{"enum": list(RECORD_TYPES)}, {"type": "string", "pattern": "^TYPE[0-9]{1,5}$"}]}
)
SELECTORS = Kind(
    {
        "type": "array",
        "maxItems": MAX_ALTERNATIVES,
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_TERMS,
            "items": {"type": "string", "pattern": f"^{TERM_PATTERN}$"},
        },
    },
    format_selectors,
)
SELECTION = Kind(
    {
        "type": "object",
        "properties": {"selectors": SELECTORS.schema, "limit": {"type": "null"}},
        "required": ["selectors"],
        "additionalProperties": False,
    },
    str,
)
