"""``cloudping up``: the main job on embedded defaults, until SIGINT or SIGTERM.

A hub with the in-process ``local`` agent, its state in a data directory under the user's
data home, the HTTP API on http://127.0.0.1:8080 with anonymous ``guest`` access from loopback,
the agents' QUIC listener on 127.0.0.1:8443, loopback served to tokens with the private scope,
and the data directory's admin token with next steps.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cloudping.agent.admit import AgentRules, parse_served
from cloudping.auth import data_dir_tokens
from cloudping.channels.mcp import MCP_PATH
from cloudping.errors import CloudpingError
from cloudping.hub.local import LocalAgentSettings
from cloudping.hub.measurements import HubSettings
from cloudping.hub.server import HubServer, HubServerSettings
from cloudping.serve.admin import ADMIN_TOKEN_FILE, AdminToken, admin_token
from cloudping.serve.channels import add_channel_options, configure_channels
from cloudping.serve.datadir import default_data_dir
from cloudping.serve.executable import cloudping_command
from cloudping.serve.geoip import add_geoip_options, geoip_settings
from cloudping.serve.helpformat import DefaultsShown
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import (
    EXIT_ERROR,
    EXIT_USAGE,
    add_cap_options,
    add_http_options,
    api_url,
    grammar_limits,
    http_settings,
    listen_address,
    listeners,
    metrics_address,
    run_service,
    serve,
    user_quota,
    welcome,
)
from cloudping.serve.metrics import add_metrics_option
from cloudping.serve.routes import add_route_options, fetch_plan, route_store
from cloudping.service import ApiSettings
from cloudping.settings import configure_logging, load_settings
from cloudping.special import Network

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_AGENT_LISTEN = "127.0.0.1:8443"
# One machine, loopback only: the local operator's first measurement goes to this machine.
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
EXAMPLE_WORDS, EXAMPLE_TARGET = "ping -c 3", "127.0.0.1"
EXAMPLE = f"{EXAMPLE_WORDS} {EXAMPLE_TARGET}"


def parser() -> argparse.ArgumentParser:
    """The options of ``cloudping up``."""
    p = argparse.ArgumentParser(
        prog="cloudping up",
        description="Run a hub with a local agent and the HTTP API, on embedded defaults.",
        formatter_class=DefaultsShown,
    )
    p.add_argument(
        "--data-dir", type=Path, default=default_data_dir(), help="state: keys, tokens, store"
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
        help="non-public ranges the local agent may probe for tokens with the private scope, "
        f"besides loopback ({', '.join(map(str, LOOPBACK))}), which it always serves them "
        "(default: none besides loopback)",
    )
    p.add_argument(
        "--new-admin-token",
        action="store_true",
        help=f"replace the admin token kept in DATA_DIR/{ADMIN_TOKEN_FILE} (and revoke it)",
    )
    add_http_options(p)
    add_cap_options(p)
    add_metrics_option(p)
    add_geoip_options(p)
    add_channel_options(p)
    p.add_argument("-v", "--verbose", action="store_true", help="log agents and measurements")
    add_route_options(p)
    return p


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping up`` with ``argv`` (the words after ``up``)."""
    args = load_settings(parser(), argv).namespace
    configure_logging(args.log_format, verbose=args.verbose)
    try:
        host, port = listen_address(args.listen, "--listen")
        agent_host, agent_port = listen_address(args.agent_listen)
        agent_ws = None
        if args.agent_ws_listen:
            agent_ws = listen_address(args.agent_ws_listen, "--agent-ws-listen")
        served = LOOPBACK + parse_served(args.serve)
        http = http_settings(args)
        channels = configure_channels(args)
        plan = fetch_plan(args)
        routes = route_store(args.route_store, args.data_dir)
        metrics = metrics_address(args)
        ipinfo = geoip_settings(args)
    except ValueError as exc:
        print(f"cloudping up: {exc}", file=sys.stderr)
        return EXIT_USAGE
    url = api_url(host, port)
    settings = HubServerSettings(
        data_dir=args.data_dir,
        agent_host=agent_host,
        agent_port=agent_port,
        agent_ws=agent_ws,
        issuer=os.environ.get("CLOUDPING_ISSUER", url),
        local_agent=LocalAgentSettings(rules=AgentRules(served=served)),
        ipinfo=ipinfo,
        hub=HubSettings(max_jobs=args.max_jobs),
    )
    try:
        # Before the hub starts (files, not the event loop's business).
        with data_dir_tokens(settings.data_dir, settings.issuer) as tokens:
            admin = admin_token(tokens, settings.data_dir, time.time(), renew=args.new_admin_token)
    except CloudpingError as exc:  # unusable keys or token files
        print(f"cloudping up: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    guests = ApiSettings(
        anonymous="guest",
        guest_loopback_only=True,
        trusted_proxies=tuple(args.trusted_proxy),
        user_quota=user_quota(args),
        limits=grammar_limits(args),
    )
    api = ApiListen(host, port, guests, http=http, public_url=args.public_url or url)

    def greeting(server: HubServer, bound: int | None) -> str:
        return next_steps(server, api_url(host, bound or port), admin, web=not args.no_web)

    service = serve(
        settings,
        api=api,
        greeting=greeting,
        channels=channels,
        routes=plan,
        route_store=routes,
        metrics_listen=metrics,
    )
    return run_service("cloudping up", service, listeners(settings, api, metrics))


def next_steps(server: HubServer, url: str, admin: AdminToken, *, web: bool = True) -> str:
    """The welcome text: where things are, the admin token, and what to try (``web``: the
    web page is served at ``/``)."""
    local = server.settings.local_agent
    served = ", ".join(str(net) for net in local.rules.served) if local else ""
    command = cloudping_command()
    data_dir = server.settings.data_dir
    expires = datetime.fromtimestamp(admin.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    kept = "reused" if admin.made_because is None else f"new: {admin.made_because}"
    from_file = f"$(cat {shlex.quote(str(admin.path))})"  # the token, never pasted twice
    body = shlex.quote(json.dumps({"command": EXAMPLE}))
    revoke = shlex.join([*shlex.split(command), "token", "revoke", admin.jti])
    revoke += f" --data-dir {shlex.quote(str(data_dir))}"
    return (
        f"cloudping up: hub with the local agent; data in {data_dir}\n"
        + (f"web page: {url}/ (open it in a browser)\n" if web else "")
        + f"HTTP API: {url}/api/v1 (guests without a token from this machine)\n"
        f"MCP: {url}{MCP_PATH} (StreamableHTTP; point an MCP client there, see examples/mcp)\n"
        f"local agent serves: {served or 'the public Internet only'} "
        "(to tokens with the private scope; guests: public addresses only)\n"
        f"admin token (measure private admin; until {expires}): {admin.token}\n"
        f"  kept in {admin.path} ({kept}); revoke: {revoke}; "
        "replace: --new-admin-token\n\n"
        "Try:\n"
        f'  curl -N -H "Authorization: Bearer {from_file}" \\\n'
        f"    --json {body} {url}/api/v1/measurements\n"
        f'  {command} {EXAMPLE_WORDS} --hub {url} --token "{from_file}" {EXAMPLE_TARGET}\n\n'
        f"{welcome(server)}"
    )
