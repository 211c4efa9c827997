"""Prometheus metrics of the hub and of an agent (prometheus-client, one registry per process
part, never the library's global one).

The hub and the agent never import this package: they call their observers
(:mod:`cloudping.hub.observer`, :mod:`cloudping.agent.observer`), which :class:`HubMetrics`
and :class:`AgentMetrics` implement; what already exists as state (the live agents, the
store's size) is read when Prometheus scrapes. ``serve/`` builds them and serves
:func:`exposition` at ``/metrics``. :class:`~cloudping.metrics.hub.HubMetrics` is imported
from its module: an agent (this package's other user) never loads the hub.
"""

from cloudping.metrics.agent import AgentMetrics
from cloudping.metrics.exposition import CONTENT_TYPE, Scrape, exposition
from cloudping.metrics.routes import metrics_route

__all__ = ["CONTENT_TYPE", "AgentMetrics", "Scrape", "exposition", "metrics_route"]
