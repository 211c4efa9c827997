"""The wire protocol's I/O bindings: QUIC (aioquic) and WebSocket (TLS over TCP), one stream core.

The protocol itself (:mod:`cloudping.wire`) is sans-IO; this package binds it to sockets and
the asyncio loop, and holds the hub's certificate and the agent's trust in it."""
