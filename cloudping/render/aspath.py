"""The AS path a path's summary expects (the hub's BGP view) beside the one its hops saw.

``seen`` is the ASNs the responders answered from, hop by hop, each run once (a network
answers for several hops). An ASN seen that is on no expected path is marked ``!``: the
packets went through a network BGP does not show between here and the target.
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudping.events import ExpectedPath, HopStats, PathSummaryEvent

DIFFERS = "!"


def seen_asns(hops: Iterable[HopStats]) -> tuple[int, ...]:
    """The ASNs of the responders, in hop order, a run of one ASN once (unknown: skipped)."""
    seen: list[int] = []
    for hop in hops:
        for responder in hop.responders:
            if responder.asn is not None and (not seen or seen[-1] != responder.asn):
                seen.append(responder.asn)
    return tuple(seen)


def unexpected_asns(event: PathSummaryEvent) -> frozenset[int]:
    """The ASNs the hops saw that no expected path holds (none expected: none)."""
    expected = {asn for path in event.expected_paths or () for asn in _asns(path)}
    return frozenset(asn for asn in seen_asns(event.hops) if asn not in expected)


def expected_text(paths: Iterable[ExpectedPath]) -> str:
    """``65001 65002 (2/3 peers), 65001 65004 {65005,65006} (1/3 peers)``."""
    return ", ".join(f"{path_text(path)} ({path.visibility}/{path.peers} peers)" for path in paths)


def seen_text(event: PathSummaryEvent) -> str:
    """The ASNs the hops saw, ``!`` before those on no expected path; ``-`` for none."""
    unexpected = unexpected_asns(event)
    return " ".join(f"{DIFFERS * (asn in unexpected)}{asn}" for asn in seen_asns(event.hops)) or "-"


def side_by_side(event: PathSummaryEvent) -> str | None:
    """``BGP <expected> | seen <observed>``; ``None`` without an expected path."""
    if not event.expected_paths:
        return None
    return f"BGP {expected_text(event.expected_paths)} | seen {seen_text(event)}"


def as_path_line(event: PathSummaryEvent) -> str | None:
    """``AS path: BGP <expected> | seen <observed>``; ``None`` without an expected path."""
    both = side_by_side(event)
    return None if both is None else f"AS path: {both}"


def _asns(path: ExpectedPath) -> Iterable[int]:
    for hop in path.as_path:
        yield from (hop,) if isinstance(hop, int) else hop


def path_text(path: ExpectedPath) -> str:
    """An AS path as ``route`` and bgpdump write it: ``65001 65002``, a set as ``{1,2}``."""
    # routes.model.as_path_text for events (the renderers may not import routes/).
    return (
        " ".join(
            str(hop) if isinstance(hop, int) else "{" + ",".join(map(str, hop)) + "}"
            for hop in path.as_path
        )
        or "(local)"
    )
