"""The AS paths the hub's route store expects towards an address, for a path's summary.

The hops of a path carry the origin AS of each responder (:mod:`cloudping.ipinfo.bgp`, from
memory); the expected AS path needs the routes themselves, one SQLite query against the
route store, so the hub asks it once per address of a measurement, in a worker thread.
"""

from __future__ import annotations

from cloudping.errors import CloudpingError
from cloudping.events import ExpectedPath
from cloudping.routes.lookup import MAX_ORIGIN_ROWS, RouteStore
from cloudping.routes.model import RouteQuery

MOST_PATHS = 3  # the most-seen paths shown: enough for a split view, small per summary


def expected_paths(store: RouteStore, address: str) -> tuple[ExpectedPath, ...]:
    """The most-seen AS paths of the longest prefix covering ``address``, with how many of
    its peers carry each; none when no route covers it or no source serves (blocking file
    I/O: call it off the event loop)."""
    try:
        groups = store.lookup(RouteQuery(prefix=address, limit=MAX_ORIGIN_ROWS)).groups
    except CloudpingError:  # no source serves, or not an address: nothing to expect
        return ()
    if not groups:
        return ()
    longest = groups[0]  # an address query lists the longest match first
    return tuple(
        ExpectedPath(
            prefix=longest.prefix,
            as_path=seen.as_path,
            visibility=seen.visibility,
            peers=longest.visibility,
        )
        for seen in longest.paths[:MOST_PATHS]
    )
