"""``cloudping up``: the main job on embedded defaults, until SIGINT or SIGTERM.

A hub with the in-process ``local`` agent, its state in a data directory under the user's
data home, the HTTP API on http://127.0.0.1:8080 with anonymous ``guest`` access from loopback,
the agents' QUIC listener on 127.0.0.1:8443, and a printed admin token with next steps.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cloudping.agent.admit import AgentRules, parse_served
from cloudping.channels.api import ApiSettings
from cloudping.channels.mcp import MCP_PATH
from cloudping.hub.local import LocalAgentSettings
from cloudping.hub.server import HubServer, HubServerSettings
from cloudping.serve.datadir import default_data_dir
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import (
    EXIT_USAGE,
    add_http_options,
    api_url,
    http_settings,
    listen_address,
    listeners,
    run_service,
    serve,
    welcome,
)

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_AGENT_LISTEN = "127.0.0.1:8443"
ADMIN_SUBJECT = "admin"
ADMIN_TTL_S = 30 * 86_400


def parser() -> argparse.ArgumentParser:
    """The options of ``cloudping up``."""
    p = argparse.ArgumentParser(
        prog="cloudping up",
        description="Run a hub with a local agent and the HTTP API, on embedded defaults.",
    )
    p.add_argument(
        "--data-dir", type=Path, default=None, help=f"state (default {default_data_dir()})"
    )
    p.add_argument(
        "--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT", help="the HTTP API (TCP)"
    )
    p.add_argument(
        "--agent-listen",
        default=DEFAULT_AGENT_LISTEN,
        metavar="HOST:PORT",
        help="UDP address remote agents dial (QUIC)",
    )
    p.add_argument(
        "--agent-ws-listen",
        default=None,
        metavar="HOST:PORT",
        help="also let remote agents dial wss://HOST:PORT/agent (TCP) where UDP is blocked",
    )
    p.add_argument(
        "--serve",
        default="",
        metavar="CIDR,...",
        help="non-public ranges the local agent may probe for tokens with the private scope",
    )
    add_http_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping up`` with ``argv`` (the words after ``up``)."""
    args = parser().parse_args(argv)
    try:
        host, port = listen_address(args.listen, "--listen")
        agent_host, agent_port = listen_address(args.agent_listen)
        agent_ws = None
        if args.agent_ws_listen:
            agent_ws = listen_address(args.agent_ws_listen, "--agent-ws-listen")
        served = parse_served(args.serve)
        http = http_settings(args)
    except ValueError as exc:
        print(f"cloudping up: {exc}", file=sys.stderr)
        return EXIT_USAGE
    url = api_url(host, port)
    settings = HubServerSettings(
        data_dir=args.data_dir or default_data_dir(),
        agent_host=agent_host,
        agent_port=agent_port,
        agent_ws=agent_ws,
        issuer=os.environ.get("CLOUDPING_ISSUER", url),
        local_agent=LocalAgentSettings(rules=AgentRules(served=served)),
    )
    guests = ApiSettings(
        anonymous="guest", guest_loopback_only=True, trusted_proxies=tuple(args.trusted_proxy)
    )
    api = ApiListen(host, port, guests, http=http)

    def greeting(server: HubServer, bound: int | None) -> str:
        return next_steps(server, api_url(host, bound or port))

    service = serve(settings, api=api, greeting=greeting)
    return run_service("cloudping up", service, listeners(settings, api))


def next_steps(server: HubServer, url: str) -> str:
    """The welcome text: where things are, an admin token, and what to try."""
    token = server.tokens.issue(
        ADMIN_SUBJECT,
        "api",
        scopes=("measure", "private", "admin"),
        ttl=ADMIN_TTL_S,
        now=time.time(),
        label="cloudping up",
    )
    local = server.settings.local_agent
    served = ", ".join(str(net) for net in local.rules.served) if local else ""
    body = shlex.quote('{"command": "ping -c 3 example.com"}')
    return (
        f"cloudping up: hub with the local agent; data in {server.settings.data_dir}\n"
        f"HTTP API: {url}/api/v1 (guests without a token from this machine)\n"
        f"MCP: {url}{MCP_PATH} (StreamableHTTP; point an MCP client there, see examples/mcp)\n"
        f"local agent serves: {served or 'the public Internet only'}\n"
        f"admin token (30 days; measure private admin): {token}\n\n"
        "Try:\n"
        f"  curl -N -H 'Authorization: Bearer {token}' \\\n"
        f"    --json {body} {url}/api/v1/measurements\n"
        f"  cloudping ping -c 3 --hub {url} --token {token} example.com\n\n"
        f"{welcome(server)}"
    )
