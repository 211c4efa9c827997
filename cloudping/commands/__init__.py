"""The command layer: one grammar, one typed ``Command``, help and schemas from one table.

Text (any channel) -> :func:`parse`; CLI argv -> :func:`parse_args`; the API's structured form
-> :func:`from_json`. :func:`format_command` and :func:`to_json` go back. Every error is a
``cloudping.errors.UsageError`` naming the offending word, with the command's usage line.
"""

from cloudping.commands.commandnames import ALIASES, COMMAND_NAMES
from cloudping.commands.dnstypes import RECORD_TYPES, record_type_number
from cloudping.commands.formatter import format_command
from cloudping.commands.help import as_invoked, command_list, help_text, usage
from cloudping.commands.jsonform import from_json, to_json
from cloudping.commands.measured import MEASUREMENT_COMMANDS, is_measurement, targets_of
from cloudping.commands.model import (
    TCPING_DEFAULT_PORT,
    Command,
    CommandModel,
    DnsCommand,
    HelpCommand,
    HttpCommand,
    IpinfoCommand,
    ListCommand,
    MtrCommand,
    PingCommand,
    RouteCommand,
    ScanCommand,
    TcpingCommand,
    TokenCommand,
    TracerouteCommand,
    VersionCommand,
)
from cloudping.commands.names import split_host_port
from cloudping.commands.parser import parse, parse_args
from cloudping.commands.schema import json_schema
from cloudping.commands.selection import Selection

__all__ = [
    "ALIASES",
    "COMMAND_NAMES",
    "MEASUREMENT_COMMANDS",
    "RECORD_TYPES",
    "TCPING_DEFAULT_PORT",
    "Command",
    "CommandModel",
    "DnsCommand",
    "HelpCommand",
    "HttpCommand",
    "IpinfoCommand",
    "ListCommand",
    "MtrCommand",
    "PingCommand",
    "RouteCommand",
    "ScanCommand",
    "Selection",
    "TcpingCommand",
    "TokenCommand",
    "TracerouteCommand",
    "VersionCommand",
    "as_invoked",
    "command_list",
    "format_command",
    "from_json",
    "help_text",
    "is_measurement",
    "json_schema",
    "parse",
    "parse_args",
    "record_type_number",
    "split_host_port",
    "targets_of",
    "to_json",
    "usage",
]
