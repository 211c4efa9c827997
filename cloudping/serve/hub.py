"""``cloudping hub``: run the hub until SIGINT or SIGTERM.

It prints what an operator needs to add an agent (the certificate's fingerprint and the
``cloudping agent`` line), then serves; with ``--listen HOST:PORT`` the HTTP API too.
Stopping is graceful: running measurements are cancelled and their streams still end with
``end``; agents are told the hub is going.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import shlex
import signal
import sys
import urllib.parse
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from cloudping.auth import DEFAULT_ISSUER
from cloudping.channels.mcp import MCP_PATH, McpSettings
from cloudping.channels.plug import ChannelContext, ChannelFactory
from cloudping.commands import split_host_port
from cloudping.edge import HttpSettings
from cloudping.errors import CloudpingError, ListenError
from cloudping.hub.agentdoor import Liveness
from cloudping.hub.measurements import HubSettings
from cloudping.hub.retention import DAY_S, Retention
from cloudping.hub.server import STORE_FILE, HubServer, HubServerSettings
from cloudping.metrics import AgentMetrics
from cloudping.metrics.hub import HubMetrics
from cloudping.policy import DEFAULT_LIMITS, Limits
from cloudping.routes.fetcher import fetching
from cloudping.routes.lookup import RouteStore
from cloudping.routes.pgstore import PgRouteStore
from cloudping.routes.schedule import FetchPlan
from cloudping.serve.channels import add_channel_options, configure_channels, running_channels
from cloudping.serve.executable import cloudping_command
from cloudping.serve.geoip import add_geoip_options, geoip_settings
from cloudping.serve.helpformat import DefaultsShown
from cloudping.serve.http import ApiListen, serve_api
from cloudping.serve.metrics import add_metrics_option, serve_metrics
from cloudping.serve.routes import add_route_options, fetch_plan, loads_into, route_store
from cloudping.serve.tcp import bind_tcp
from cloudping.service import ApiSettings, CommandService, Quota
from cloudping.settings import configure_logging, load_settings
from cloudping.special import Network

EXIT_OK, EXIT_USAGE, EXIT_ERROR = 0, 2, 1
Listener = tuple[str, str, int]
"""A listening address: protocol (``tcp``, ``udp``), host and port as given."""
log = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    """The options of ``cloudping hub``."""
    p = argparse.ArgumentParser(
        prog="cloudping hub",
        description="Run a cloudping hub that agents dial into.",
        formatter_class=DefaultsShown,
    )
    p.add_argument("--data-dir", required=True, type=Path, help="keys, certificate, store")
    p.add_argument(
        "--agent-listen",
        required=True,
        metavar="HOST:PORT",
        help="UDP address agents dial (QUIC), 0.0.0.0:PORT for every address",
    )
    p.add_argument(
        "--agent-ws-listen",
        metavar="HOST:PORT",
        help="also serve agents over WebSocket (wss://HOST:PORT/agent, TCP) where UDP is blocked",
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="also serve the HTTP API on this TCP address (tokens required)",
    )
    p.add_argument(
        "--issuer",
        default=DEFAULT_ISSUER,
        help=f"iss of the tokens, the hub's URL (env CLOUDPING_ISSUER; default {DEFAULT_ISSUER})",
    )
    p.add_argument(
        "--anonymous",
        choices=("off", "guest"),
        default="off",
        help="API calls without a token: refused (off, default) or run with the guest quota",
    )
    p.add_argument(
        "--guest-anywhere",
        action="store_true",
        help="let guests in from any address (default: loopback only)",
    )
    p.add_argument(
        "--retention-days",
        type=_days,
        default=30.0,
        metavar="DAYS",
        help="keep measurements this long; 0 keeps them forever (default 30)",
    )
    p.add_argument(
        "--expose-coordinates",
        action="store_true",
        help="show agents' exact lat/lon in the public agent list",
    )
    p.add_argument("--no-mcp", action="store_true", help="do not serve MCP at /mcp beside the API")
    p.add_argument(
        "--mcp-stateless",
        action="store_true",
        help="MCP without sessions (each request stands alone; for several hub replicas)",
    )
    add_http_options(p)
    p.add_argument(
        "--heartbeat",
        type=float,
        default=Liveness().heartbeat_interval_s,
        metavar="SEC",
        help="how often agents send a heartbeat (default %(default)g)",
    )
    p.add_argument(
        "--idle-timeout",
        type=float,
        default=Liveness().idle_timeout_s,
        metavar="SEC",
        help="silence after which an agent is dropped and its jobs end agent_lost "
        "(default %(default)g)",
    )
    add_cap_options(p)
    add_route_options(p)
    add_metrics_option(p)
    add_geoip_options(p)
    add_channel_options(p)
    p.add_argument("-v", "--verbose", action="store_true", help="log agents and measurements")
    return p


def add_cap_options(p: argparse.ArgumentParser) -> None:
    """How big one measurement may be, shared by ``cloudping hub`` and ``cloudping up``."""
    p.add_argument(
        "--max-jobs",
        type=_positive,
        default=HubSettings().max_jobs,
        metavar="N",
        help="most jobs (agents x targets) in one measurement, whoever asks (default %(default)d)",
    )
    p.add_argument(
        "--user-jobs",
        type=_positive,
        default=ApiSettings().user_quota.jobs_per_measurement,
        metavar="N",
        help="a token holder's quota of jobs per measurement; guests keep theirs "
        "(default %(default)d)",
    )
    p.add_argument(
        "--max-limit",
        type=_positive,
        default=DEFAULT_LIMITS.selection_limit_max,
        metavar="N",
        help="the largest --limit (MCP's from.limit) a command may ask for (default %(default)d)",
    )


def _positive(text: str) -> int:
    """A whole number from 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return value


def user_quota(args: argparse.Namespace) -> Quota:
    """A token holder's quota with ``--user-jobs`` as its jobs per measurement."""
    return replace(ApiSettings().user_quota, jobs_per_measurement=args.user_jobs)


def grammar_limits(args: argparse.Namespace) -> Limits:
    """The grammar's bounds for the channels' commands, with ``--max-limit``."""
    return replace(DEFAULT_LIMITS, selection_limit_max=args.max_limit)


def add_http_options(p: argparse.ArgumentParser) -> None:
    """The HTTP server's options, shared by ``cloudping hub`` and ``cloudping up``."""
    defaults = HttpSettings()
    p.add_argument(
        "--allowed-host",
        "--mcp-allowed-host",
        dest="allowed_host",
        action="append",
        default=[],
        metavar="HOST[:PORT|:*]",
        help="a Host header the HTTP server (API, /ping, MCP) accepts when reached by a real "
        "name (repeatable; --mcp-allowed-host is the old name)",
    )
    p.add_argument(
        "--allowed-origin",
        "--mcp-allowed-origin",
        dest="allowed_origin",
        action="append",
        default=[],
        metavar="URL",
        help="an Origin header accepted from browsers (repeatable; --mcp-allowed-origin is "
        "the old name)",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        default=defaults.max_connections,
        metavar="N",
        help="HTTP connections served at once; past it, 503 (default %(default)d)",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        default=defaults.header_timeout_s,
        metavar="SEC",
        help="close a connection that takes longer to send a request's headers "
        "(default %(default)g)",
    )
    p.add_argument(
        "--public-url",
        type=public_url,
        metavar="URL",
        help="where people reach this hub (https://ping.example.net), for links in replies "
        "and sign-in callbacks (default: none; `up`: its own address)",
    )
    p.add_argument(
        "--trusted-proxy",
        action="append",
        type=_network,
        default=[],
        metavar="CIDR",
        help="a reverse proxy whose X-Forwarded-For names the client, for guests' addresses "
        "(repeatable; default: none, the header is ignored)",
    )


def public_url(text: str) -> str:
    """An http(s) URL with a host and nothing after the path, without its trailing slash
    (argparse type)."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL with a host")
    if parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r}: a public URL has no query or fragment")
    return text.rstrip("/")


def _network(text: str) -> Network:
    """An address or a CIDR (argparse type)."""
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an address or a CIDR") from None


def http_settings(args: argparse.Namespace) -> HttpSettings:
    """The HTTP server's settings from parsed options (``ValueError`` when out of range)."""
    return HttpSettings(
        allowed_hosts=tuple(args.allowed_host),
        allowed_origins=tuple(args.allowed_origin),
        max_connections=args.max_connections,
        header_timeout_s=args.header_timeout,
    )


def _days(text: str) -> float:
    """0 (keep forever) or 1 to 36500 days (argparse type).

    At least a day: a shorter retention would remove measurements while they still run.
    """
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if days != 0 and not 1 <= days <= 36_500:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 (forever) or 1 to 36500 days")
    return days


def listen_address(text: str, option: str = "--agent-listen") -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``); the port is required: the hub has no well-known one.

    Raises:
        ValueError: malformed, or no port.
    """
    host, port = split_host_port(text, default_port=0)
    if port == 0:
        raise ValueError(f"{option} {text!r} needs a port: HOST:PORT")
    return host, port


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping hub`` with ``argv`` (the words after ``hub``)."""
    args = load_settings(parser(), argv).namespace
    configure_logging(args.log_format, verbose=args.verbose)
    try:
        settings, api = configure(args)
        channels = configure_channels(args)
        plan = fetch_plan(args)
        routes = route_store(args.route_store, settings.data_dir)
        metrics = metrics_address(args)
    except ValueError as exc:
        sys.stderr.write(f"cloudping hub: {exc}\n")
        return EXIT_USAGE
    service = serve(
        settings,
        api=api,
        channels=channels,
        routes=plan,
        route_store=routes,
        metrics_listen=metrics,
    )
    return run_service("cloudping hub", service, listeners(settings, api, metrics))


def metrics_address(args: argparse.Namespace) -> tuple[str, int] | None:
    """``--metrics-listen`` as (host, port), if given (``ValueError`` when malformed)."""
    if args.metrics_listen is None:
        return None
    return listen_address(args.metrics_listen, "--metrics-listen")


def configure(args: argparse.Namespace) -> tuple[HubServerSettings, ApiListen | None]:
    """The hub's and the API's settings from parsed options.

    Raises:
        ValueError: a malformed listen address, heartbeat and idle timeout out of order, or
            an option of the API or MCP without ``--listen``.
    """
    if not args.listen and (unheard := _api_options_given(args)):
        raise ValueError(f"{unheard} needs --listen (it sets the HTTP API and MCP)")
    host, port = listen_address(args.agent_listen)
    agent_ws = None
    if args.agent_ws_listen:
        agent_ws = listen_address(args.agent_ws_listen, "--agent-ws-listen")
    api = None
    if args.listen:
        api_host, api_port = listen_address(args.listen, "--listen")
        api_settings = ApiSettings(
            user_quota=user_quota(args),
            limits=grammar_limits(args),
            anonymous=args.anonymous,
            guest_loopback_only=not args.guest_anywhere,
            expose_coordinates=args.expose_coordinates,
            trusted_proxies=tuple(args.trusted_proxy),
        )
        mcp = McpSettings(enabled=not args.no_mcp, stateless=args.mcp_stateless)
        api = ApiListen(
            api_host, api_port, api_settings, mcp, http_settings(args), public_url=args.public_url
        )
    keep_s = args.retention_days * DAY_S if args.retention_days else None
    if not 0 < args.heartbeat < args.idle_timeout <= 86_400:
        raise ValueError("need 0 < --heartbeat < --idle-timeout <= 86400 (seconds)")
    settings = HubServerSettings(
        data_dir=args.data_dir,
        agent_host=host,
        agent_port=port,
        issuer=args.issuer,
        retention=Retention(keep_s=keep_s),
        liveness=Liveness(args.heartbeat, args.idle_timeout),
        agent_ws=agent_ws,
        ipinfo=geoip_settings(args),
        hub=HubSettings(max_jobs=args.max_jobs),
    )
    return settings, api


def _api_options_given(args: argparse.Namespace) -> str | None:
    """The first option given that only means something with ``--listen``."""
    given = {
        "--anonymous": args.anonymous != "off",
        "--guest-anywhere": args.guest_anywhere,
        "--expose-coordinates": args.expose_coordinates,
        "--no-mcp": args.no_mcp,
        "--mcp-stateless": args.mcp_stateless,
        "--allowed-host": bool(args.allowed_host),
        "--allowed-origin": bool(args.allowed_origin),
        "--trusted-proxy": bool(args.trusted_proxy),
        "--public-url": args.public_url is not None,
        "--max-connections": args.max_connections != HttpSettings().max_connections,
        "--header-timeout": args.header_timeout != HttpSettings().header_timeout_s,
        "--user-jobs": args.user_jobs != ApiSettings().user_quota.jobs_per_measurement,
        "--max-limit": args.max_limit != DEFAULT_LIMITS.selection_limit_max,
    }
    return next((option for option, set_ in given.items() if set_), None)


def listeners(
    settings: HubServerSettings,
    api: ApiListen | None,
    metrics: tuple[str, int] | None = None,
) -> dict[Listener, str]:
    """What each listening address serves and the option that moves it, by (protocol, host,
    port) as given."""
    found = {("udp", settings.agent_host, settings.agent_port): "agents (QUIC): --agent-listen"}
    if metrics is not None:
        found[("tcp", *metrics)] = "the metrics: --metrics-listen"
    if settings.agent_ws is not None:
        found[("tcp", *settings.agent_ws)] = "agents (WebSocket): --agent-ws-listen"
    if api is not None:
        found[("tcp", api.host, api.port)] = "the HTTP API and MCP: --listen"
    return found


def run_service(
    name: str, service: Coroutine[Any, Any, None], listening: Mapping[Listener, str] | None = None
) -> int:
    """Run ``service`` to its end; an error that stops it is one line on stderr, exit 1.

    A listener that cannot open is a usage error (exit 2): the line names the address, what
    it serves and the option that moves it (from ``listening``, see :func:`listeners`).
    """
    try:
        asyncio.run(service)
    except ListenError as exc:
        role = (listening or {}).get((exc.protocol, exc.host, exc.port))
        hint = f" ({role} HOST:PORT moves it)" if role else ""
        sys.stderr.write(f"{name}: {exc.message}{hint}\n")
        return EXIT_USAGE
    except CloudpingError as exc:
        sys.stderr.write(f"{name}: {exc.message}\n")
        return EXIT_ERROR
    except OSError as exc:  # the data directory cannot be made
        sys.stderr.write(f"{name}: {exc}\n")
        return EXIT_ERROR
    return EXIT_OK


async def serve(
    settings: HubServerSettings,
    out: TextIO | None = None,
    stop: asyncio.Event | None = None,
    *,
    api: ApiListen | None = None,
    greeting: Callable[[HubServer, int | None], str] | None = None,
    channels: Sequence[ChannelFactory] = (),
    routes: FetchPlan | None = None,
    route_store: RouteStore | PgRouteStore | None = None,
    metrics_listen: tuple[str, int] | None = None,
) -> None:
    """Run the hub until SIGINT/SIGTERM (or ``stop`` is set), then shut it down gracefully.

    A signal sets an event rather than cancelling the task, so the hub leaves through its
    normal path: the API stops taking requests, every running measurement is cancelled and
    ends its stream with ``end``.

    Args:
        settings: the hub's.
        out: where the welcome text goes (default stdout).
        stop: set it to stop (tests); signals set it too.
        api: also serve the HTTP API there.
        greeting: the welcome text from the server and the API's bound port (default:
            :func:`welcome`).
        channels: the channels to run in the process (Telegram, email, the web page), on the
            API's command service.
        routes: the route sources to fetch on a schedule (default: none).
        route_store: where route sources are loaded and looked up (default: SQLite files in
            the data directory; the ``bgp`` IP-info table always reads those).
        metrics_listen: also serve ``/metrics`` there without a token (on the API's
            listener it always is, for admin tokens).
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    sock = metrics_sock = None
    try:
        # The sockets first: a taken port fails before the hub starts anything.
        sock = bind_tcp(api.host, api.port) if api is not None else None
        metrics_sock = bind_tcp(*metrics_listen) if metrics_listen is not None else None
        store = settings.data_dir / STORE_FILE
        metrics = HubMetrics((store, store.with_name(f"{STORE_FILE}-wal")))
        # `up`'s in-process agent: its metrics are this process's too, after the hub's.
        local = AgentMetrics() if settings.local_agent is not None else None
        async with (
            HubServer(settings, observer=metrics, local_observer=local) as server,
            AsyncExitStack() as stack,
        ):

            async def scrape() -> bytes:
                text = await metrics.scrape(server.hub)
                return text + (await local.scrape() if local is not None else b"")

            lookups = route_store or RouteStore(settings.data_dir)
            if isinstance(lookups, PgRouteStore):  # after the fetches stop (the stack unwinds)
                stack.callback(lookups.close)
            await stack.enter_async_context(fetching(loads_into(lookups), routes or FetchPlan()))
            service = CommandService(
                server.hub,
                server.store,
                api.settings if api is not None else ApiSettings(),
                routes=lookups,
                ipinfo=server.ipinfo,
            )
            context = ChannelContext(
                service,
                server.tokens,
                settings.data_dir,
                listening=api is not None,
                public_url=api.public_url if api is not None else None,
            )
            running = await stack.enter_async_context(running_channels(channels, context))
            if metrics_sock is not None:
                await stack.enter_async_context(serve_metrics(metrics_sock, scrape))
            api_port = None
            if api is not None:
                api_port = await stack.enter_async_context(
                    serve_api(server, api, sock, service, running, scrape=scrape)
                )
            if greeting is not None:
                text = greeting(server, api_port)
            else:
                text = _welcome_with_api(server, api, api_port)
            print(text, file=out or sys.stdout, flush=True)
            await stop.wait()
    finally:
        for bound in (sock, metrics_sock):
            if bound is not None:
                bound.close()  # when the hub failed before serving it (twice is harmless)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    log.info("the hub has stopped")


def _welcome_with_api(server: HubServer, api: ApiListen | None, api_port: int | None) -> str:
    if api is None or api_port is None:
        return welcome(server)
    url = api_url(api.host, api_port)
    text = f"{welcome(server)}\n\nHTTP API: {url}/api/v1 (bearer tokens, audience api)"
    if api.mcp.enabled:
        text += f"\nMCP: {url}{MCP_PATH} (StreamableHTTP, the same tokens)"
    return text


def api_url(host: str, port: int) -> str:
    """``http://HOST:PORT`` for a listen address (brackets around IPv6)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def welcome(server: HubServer) -> str:
    """What an operator needs to connect an agent to this hub."""
    settings = server.settings
    host = settings.agent_host
    shown_host = f"[{host}]" if ":" in host else host
    command = cloudping_command()
    issue = [*shlex.split(command), "token", "issue", "--data-dir", str(settings.data_dir)]
    issue += ["--sub", "NAME", "--aud", "agent"]
    if settings.issuer != DEFAULT_ISSUER:
        issue += ["--issuer", settings.issuer]
    token = f"$({shlex.join(issue)})"
    ws = server.agent_ws_url
    return (
        f"cloudping hub: agents dial udp {shown_host}:{server.agent_port}\n"
        + (f"where UDP is blocked: --hub {ws} (WebSocket)\n" if ws else "")
        + f"hub certificate: {server.cert_path}\n"
        f"SHA-256 fingerprint: {server.fingerprint}\n\n"
        "Run an agent (replace NAME; use this host's public address for 0.0.0.0):\n"
        f"  {command} agent --hub {shown_host}:{server.agent_port} --name NAME \\\n"
        f'    --token "{token}" \\\n'
        f"    --hub-fingerprint {server.fingerprint}"
    )
