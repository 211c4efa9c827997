"""DNS record types a query may ask for: names and numbers from the IANA registry.

Source: IANA "Resource Record (RR) TYPEs" (dns-parameters). Meta types that are never a
question (OPT, TSIG, TKEY) are left out. RFC 3597 section 5 spells any type as ``TYPEnnn``.
"""

from __future__ import annotations

import re

from cloudping.commands.values import shown

RECORD_TYPES: dict[str, int] = {
    "A": 1,
    "NS": 2,
    "CNAME": 5,
    "SOA": 6,
    "PTR": 12,
    "HINFO": 13,
    "MX": 15,
    "TXT": 16,
    "RP": 17,
    "AFSDB": 18,
    "SIG": 24,
    "KEY": 25,
    "AAAA": 28,
    "LOC": 29,
    "SRV": 33,
    "NAPTR": 35,
    "KX": 36,
    "CERT": 37,
    "DNAME": 39,
    "APL": 42,
    "DS": 43,
    "SSHFP": 44,
    "IPSECKEY": 45,
    "RRSIG": 46,
    "NSEC": 47,
    "DNSKEY": 48,
    "DHCID": 49,
    "NSEC3": 50,
    "NSEC3PARAM": 51,
    "TLSA": 52,
    "SMIMEA": 53,
    "HIP": 55,
    "CDS": 59,
    "CDNSKEY": 60,
    "OPENPGPKEY": 61,
    "CSYNC": 62,
    "ZONEMD": 63,
    "SVCB": 64,
    "HTTPS": 65,
    "SPF": 99,
    "EUI48": 108,
    "EUI64": 109,
    "IXFR": 251,
    "AXFR": 252,
    "ANY": 255,
    "URI": 256,
    "CAA": 257,
    "DLV": 32769,
}
_BY_NUMBER = {number: name for name, number in RECORD_TYPES.items()}
_NOT_QUESTIONS = frozenset({41, 249, 250})  # OPT, TKEY, TSIG
_GENERIC = re.compile(r"TYPE([0-9]{1,5})")
_NUMBER = re.compile(r"([0-9]{1,5})")


def record_type(value: object) -> object:
    """The canonical name of a record type from ``"aaaa"``, ``28``, ``"28"`` or ``"TYPE28"``.

    Raises:
        ValueError: naming the value when it is not a known type or a valid ``TYPEnnn``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        name = value.upper()
        if name in RECORD_TYPES:
            return name
        match = _GENERIC.fullmatch(name) or _NUMBER.fullmatch(name)
        number = int(match[1]) if match else -1
    else:
        return value
    if not 1 <= number <= 65535 or number in _NOT_QUESTIONS:
        raise ValueError(f"{shown(value)} is not a known DNS record type")
    return _BY_NUMBER.get(number, f"TYPE{number}")


def record_type_number(name: str) -> int:
    """The number of a canonical record type name (``"AAAA"`` -> 28, ``"TYPE999"`` -> 999)."""
    return RECORD_TYPES.get(name) or int(name.removeprefix("TYPE"))
