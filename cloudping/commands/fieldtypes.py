"""The field types of the command models: what is intrinsically valid, whatever the policy.

Every type accepts the word as typed (``"5"``, ``"500ms"``, ``"AS13335"``) as well as the JSON
value, so the text grammar and the structured form validate in one place.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool
from pydantic_core import PydanticCustomError

from cloudping.commands import names
from cloudping.commands.dnstypes import record_type
from cloudping.commands.pem import MAX_PEM_CHARS, check_ca_pem
from cloudping.commands.values import (
    forbidden_character,
    lowercase,
    seconds,
    shown,
    uppercase,
    whole_number,
)

MAX_ITEMS = 64  # no command line holds more words (Limits.max_words caps it lower)
MAX_TEXT = 4096

Family = Literal[4, 6]
Proto = Literal["icmp", "udp", "tcp"]
Transport = Literal["udp", "tcp", "dot", "doh"]
Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
HttpVersion = Literal["1.1", "2", "3"]


def _text(value: str) -> str:
    bad = forbidden_character(value)
    if bad is not None:
        raise ValueError(f"control character U+{ord(bad):04X} in {shown(value)}")
    return value


def _http_version(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.lower().removeprefix("http/") if isinstance(value, str) else value


def _header(value: object) -> object:
    if not isinstance(value, str):
        return value
    name, colon, rest = value.partition(":")
    if not colon:
        raise ValueError(f"{shown(value)} has no colon (expected 'Name: value')")
    return (name.strip(), rest.strip())


def _header_pair(pair: tuple[str, str]) -> tuple[str, str]:
    name, value = pair
    # RFC 9110 section 5.1: a field name is a token; section 5.5: values are visible ASCII.
    if not name or not all(
        ch.isascii() and (ch.isalnum() or ch in "!#$%&'*+-.^_`|~") for ch in name
    ):
        raise ValueError(f"{shown(name)} is not a valid header name")
    if not all(" " <= ch <= "~" for ch in value):
        raise ValueError(f"{shown(value)} is not a valid header value (visible ASCII only)")
    return (name, value.strip())


def cross_field(field: str, message: str) -> PydanticCustomError:
    """An error between fields, blamed on ``field``.

    ``message`` may name other fields as ``{field}``; each channel spells them its own way
    (``--proto`` on a command line, ``proto`` in JSON).
    """
    return PydanticCustomError("cloudping", "{message}", {"field": field, "message": message})


Count = Annotated[int, BeforeValidator(whole_number), Field(ge=1)]
Retries = Annotated[int, BeforeValidator(whole_number), Field(ge=0)]
Seconds = Annotated[float, BeforeValidator(seconds), Field(gt=0)]
Port = Annotated[int, BeforeValidator(whole_number), Field(ge=1, le=names.PORT_MAX)]
Ttl = Annotated[int, BeforeValidator(whole_number), Field(ge=1, le=255)]
Size = Annotated[int, BeforeValidator(whole_number), Field(ge=0, le=65507)]
Asn = Annotated[int, BeforeValidator(names.asn), Field(ge=1, le=names.ASN_MAX)]
AsPath = Annotated[
    tuple[Asn, ...], BeforeValidator(names.as_path), Field(min_length=1, max_length=32)
]
Community = Annotated[str, Field(max_length=32), AfterValidator(names.community)]
RouteLimit = Annotated[int, BeforeValidator(whole_number), Field(ge=1, le=names.ROUTE_LIMIT_MAX)]
Flag = StrictBool
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_text)]
CaPem = Annotated[str, Field(min_length=1, max_length=MAX_PEM_CHARS), AfterValidator(check_ca_pem)]

ProtoField = Annotated[Proto, BeforeValidator(lowercase)]
TransportField = Annotated[Transport, BeforeValidator(lowercase)]
MethodField = Annotated[Method, BeforeValidator(uppercase)]
HttpVersionField = Annotated[HttpVersion, BeforeValidator(_http_version)]
RecordType = Annotated[str, BeforeValidator(record_type)]
Header = Annotated[tuple[str, str], BeforeValidator(_header), AfterValidator(_header_pair)]

Host = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_host)]
Hostname = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_hostname)]
HostPort = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_host_port)]
DnsName = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_dns_name)]
DnsServer = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_dns_server)]
Url = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_url)]
Address = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_address)]
AddressOrPrefix = Annotated[
    str, Field(max_length=MAX_TEXT), AfterValidator(names.address_or_prefix)
]
Name = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_name)]
Cidr = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(names.check_scan_cidr)]


Hosts = Annotated[tuple[Host, ...], Field(min_length=1, max_length=MAX_ITEMS)]
HostPorts = Annotated[tuple[HostPort, ...], Field(min_length=1, max_length=MAX_ITEMS)]
DnsNames = Annotated[tuple[DnsName, ...], Field(min_length=1, max_length=MAX_ITEMS)]
Urls = Annotated[tuple[Url, ...], Field(min_length=1, max_length=MAX_ITEMS)]
Addresses = Annotated[tuple[Address, ...], Field(min_length=1, max_length=MAX_ITEMS)]
Headers = Annotated[tuple[Header, ...], Field(max_length=MAX_ITEMS)]
Names = Annotated[tuple[Name, ...], Field(max_length=MAX_ITEMS)]
