"""The ``route`` command's answer, the same from a hub and from a local data directory: a
compact table grouped per prefix for people (and MCP), every route as JSON for programs."""

from __future__ import annotations

from collections.abc import Iterator

from cloudping.columns import padded_table
from cloudping.commands import RouteCommand
from cloudping.commands.answer import Answer
from cloudping.routes.lookup import RouteSources
from cloudping.routes.model import (
    DEFAULT_LIMIT,
    RouteAnswer,
    RouteGroup,
    RouteQuery,
    as_path_text,
)

_COLUMNS = ("PREFIX", "ORIGIN", "SEEN", "AS PATH", "COMMUNITIES")


def route_query(command: RouteCommand) -> RouteQuery:
    """The store query a ``route`` command asks."""
    return RouteQuery(
        prefix=command.prefix,
        origin=command.origin,
        neighbor=command.neighbor,
        path=command.path or (),
        community=command.community,
        more_specific=command.more_specific,
        less_specific=command.less_specific,
        source=command.source,
        limit=command.limit or DEFAULT_LIMIT,
    )


def route_answer(store: RouteSources, command: RouteCommand) -> Answer:
    """Look ``command`` up in ``store`` (blocking file I/O: off the event loop).

    Raises:
        CloudpingError: ``no_routes``, ``bad_query`` (see :meth:`RouteSources.lookup`).
    """
    found = store.lookup(route_query(command))
    data = {
        "routes": [route.to_json() for route in found.routes],
        "groups": [group.to_json() for group in found.groups],
        "truncated": found.truncated,
    }
    return Answer("route", route_text(found), data)


def route_text(found: RouteAnswer) -> str:
    """The routes grouped per prefix: one line per AS path with how many peers carry it."""
    groups = found.groups
    if not groups:
        return "no route matches"
    several = len({group.source for group in groups}) > 1
    table = padded_table(_COLUMNS, (row for group in groups for row in _rows(group, several)))
    routes, prefixes = len(found.routes), len(groups)
    footer = f"{routes} route{'s' * (routes != 1)}, {prefixes} prefix{'es' * (prefixes != 1)}"
    if found.truncated:
        footer += " (more match: narrow the query or raise --limit)"
    return f"{table}\n{footer}"


def _rows(group: RouteGroup, several: bool) -> Iterator[tuple[str, ...]]:
    prefix = f"{group.prefix} ({group.source})" if several else group.prefix
    origin = ",".join(f"AS{asn}" for asn in group.origin_as) or "-"
    communities = " ".join((*group.communities, *group.large_communities)) or "-"
    for index, seen in enumerate(group.paths):
        first = index == 0
        yield (
            prefix if first else "",
            origin if first else "",
            f"{seen.visibility}/{group.visibility}",
            as_path_text(seen.as_path) or "(local)",
            communities if first else "",
        )
