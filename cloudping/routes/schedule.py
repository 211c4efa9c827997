"""Scheduled fetches of route sources, pure: which sources are due at ``now`` and when the
next one is; the hub's loop (:mod:`cloudping.routes.fetcher`) does the I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cloudping.errors import CloudpingError
from cloudping.routes.ingest import URL_SCHEMES
from cloudping.routes.model import source_name

MIN_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class RouteSource:
    """A source the hub fetches on its own: a name and the URL of its latest dump (a RIPE
    RIS ``latest-bview.gz``, a RouteViews RIB, a DN42 collector's ``master4``...)."""

    name: str
    url: str

    @classmethod
    def parse(cls, text: str) -> RouteSource:
        """``NAME=URL`` as the ``--route-source`` option takes it.

        Raises:
            ValueError: no ``=``, a bad name, not an http(s) URL.
        """
        name, eq, url = text.partition("=")
        if not eq or not url.startswith(URL_SCHEMES):
            raise ValueError(f"--route-source takes NAME=URL (http or https), not {text!r}")
        try:
            source_name(name)
        except CloudpingError as exc:
            raise ValueError(exc.message) from exc
        return cls(name, url)


@dataclass(frozen=True, slots=True)
class FetchPlan:
    """Every scheduled source and how often each is fetched (off when there is none)."""

    sources: tuple[RouteSource, ...] = ()
    interval_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.interval_s < MIN_INTERVAL_S:
            raise ValueError(f"the route fetch interval is at least {MIN_INTERVAL_S} s")
        names = [source.name for source in self.sources]
        if len(set(names)) != len(names):
            raise ValueError("each --route-source needs its own name")

    def due(self, last: Mapping[str, float], now: float) -> list[RouteSource]:
        """The sources never fetched, or last fetched an interval or more before ``now``."""
        return [
            s for s in self.sources if now - last.get(s.name, -self.interval_s) >= self.interval_s
        ]

    def next_at(self, last: Mapping[str, float]) -> float:
        """When the next source falls due (sources never fetched: at once)."""
        return min(last.get(s.name, float("-inf")) + self.interval_s for s in self.sources)
