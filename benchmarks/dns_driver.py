"""The cloudping side of ``benchmarks/dns.py``: timed queries over one connection, in-process.

``python benchmarks/dns_driver.py TRANSPORT ADDRESS CA_FILE COUNT`` asks ``www.lab A`` once (the
connection's first query: setup plus query), then ``COUNT`` times more over the same
connection, and prints JSON: ``first_ms``, every later query's ``latencies`` (ms, the query
times cloudping's transport reports) and ``qps`` of that loop.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from cloudping.probes.dns.query import make_query, question
from cloudping.probes.dns.server import DEFAULT_PORTS, Server, Transport
from cloudping.probes.dns.transport import open_connection

NAME = "www.lab"
TRANSPORTS: dict[str, Transport] = {"udp": "udp", "tcp": "tcp", "dot": "dot", "doh": "doh"}


def lab_server(transport: Transport, address: str) -> Server:
    """The lab's unbound at ``address`` over ``transport``; its certificate names dns.lab."""
    host = f"[{address}]" if ":" in address else address
    url = f"https://{host}/dns-query" if transport == "doh" else None
    tls_name = "dns.lab" if transport in ("dot", "doh") else None
    return Server(address, DEFAULT_PORTS[transport], transport, url=url, tls_name=tls_name)


async def drive(transport: Transport, address: str, ca: str, count: int) -> dict[str, Any]:
    """``count`` queries after a first one, over one connection."""
    connection = open_connection(lab_server(transport, address), address, ca)
    q = question(NAME, "A")
    encrypted, doh = transport in ("dot", "doh"), transport == "doh"
    try:
        first = await connection.exchange(make_query(q, encrypted=encrypted, doh=doh), 5.0)
        latencies = []
        started = time.perf_counter()
        for _ in range(count):
            exchange = await connection.exchange(make_query(q, encrypted=encrypted, doh=doh), 5.0)
            latencies.append(exchange.query_ms)
        wall = time.perf_counter() - started
    finally:
        await connection.aclose()
    setup = (first.connect_ms or 0.0) + first.query_ms
    return {"first_ms": setup, "latencies": latencies, "qps": count / wall}


def main(argv: list[str]) -> None:
    transport, address, count = TRANSPORTS[argv[0]], argv[1], int(argv[3])
    ca = Path(argv[2]).read_text()  # the PEM text, as ``--ca FILE`` sends it
    print(json.dumps(asyncio.run(drive(transport, address, ca, count))))


if __name__ == "__main__":
    main(sys.argv[1:])
