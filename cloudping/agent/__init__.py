"""The agent: runs the jobs a hub offers, on this host's own probes.

- :mod:`~cloudping.agent.admit`: which offers this agent takes (pure: limits, rate cap,
  target policy).
- :mod:`~cloudping.agent.runtime`: :class:`~cloudping.agent.runtime.Agent`, jobs as tasks,
  events streamed back, every job ended.
- :mod:`~cloudping.agent.connect`: the reconnect loop and its backoff.
- :mod:`~cloudping.serve.agent`: ``cloudping agent``.
"""
