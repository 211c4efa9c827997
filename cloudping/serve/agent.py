"""``cloudping agent``: run this host as a probe agent of a hub until SIGINT or SIGTERM.

``--hub HOST:PORT`` dials the hub over QUIC (UDP); ``--hub wss://HOST:PORT/agent`` over a
WebSocket (TCP, TLS) where UDP is blocked: the same messages, trust and reconnect loop.
The hub's certificate is always verified: ``--hub-fingerprint`` pins the SHA-256 the hub
printed, ``--hub-ca`` names a CA (or the hub's certificate) to chain to. There is no insecure
default, so the agent's token never reaches an impostor.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cloudping import __version__
from cloudping.agent.admit import DEFAULT_MAX_RATE_PPS, AgentRules, parse_served
from cloudping.agent.connect import Dial, HubSession, OnEvent, stay_connected
from cloudping.agent.runtime import Agent
from cloudping.commands import split_host_port
from cloudping.errors import CloudpingError, ListenError
from cloudping.probes.env import ProbeEnv
from cloudping.serve.metrics import add_metrics_option, serve_metrics
from cloudping.serve.tcp import bind_tcp
from cloudping.settings import configure_logging, load_settings
from cloudping.transport.trust import HubTrust
from cloudping.transport.ws import HubUrl, dial_hub_ws, parse_hub_url
from cloudping.wire import AgentAttributes, Capability, Hello

EXIT_OK, EXIT_USAGE = 0, 2
log = logging.getLogger(__name__)


def parser() -> argparse.ArgumentParser:
    """The options of ``cloudping agent``."""
    p = argparse.ArgumentParser(
        prog="cloudping agent", description="Run jobs for a cloudping hub, dialling out to it."
    )
    p.add_argument(
        "--hub",
        required=True,
        metavar="HOST:PORT|URL",
        help="the hub's agent port (QUIC, UDP), or its wss://HOST:PORT/agent URL (WebSocket)",
    )
    p.add_argument("--name", required=True, help="this agent's name (the token's subject)")
    token = p.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help="an agent token from `cloudping token issue`")
    token.add_argument(
        "--token-file",
        metavar="FILE",
        help="read the token from FILE (keeps it out of the process list; systemd credentials)",
    )
    trust = p.add_mutually_exclusive_group(required=True)
    trust.add_argument("--hub-fingerprint", metavar="SHA256", help="the hub certificate's pin")
    trust.add_argument("--hub-ca", metavar="FILE", help="CA (or hub) certificate, PEM")
    p.add_argument("--country", help="ISO 3166-1 alpha-2 code (DE)")
    p.add_argument("--city")
    p.add_argument("--lat-lon", metavar="LAT,LON", type=lat_lon)
    p.add_argument("--asn", type=asn, metavar="ASN")
    p.add_argument("--isp")
    p.add_argument("--dn42-asn", type=asn, metavar="ASN")
    p.add_argument("--dn42-isp")
    p.add_argument("--tag", action="append", default=[], help="a tag selectors match (repeat)")
    p.add_argument(
        "--serve",
        default="",
        metavar="CIDR,...",
        help="non-public ranges this agent may probe for users allowed to (172.20.0.0/14,...)",
    )
    p.add_argument(
        "--max-rate",
        type=int,
        default=DEFAULT_MAX_RATE_PPS,
        metavar="PPS",
        help=f"most packets per second of one job (default {DEFAULT_MAX_RATE_PPS})",
    )
    add_metrics_option(p)
    p.add_argument("-v", "--verbose", action="store_true", help="log connections and jobs")
    return p


def lat_lon(text: str) -> tuple[float, float]:
    """``52.52,13.40`` as a pair (range checks are the attributes' own)."""
    lat, sep, lon = text.partition(",")
    try:
        if not sep:
            raise ValueError
        return float(lat), float(lon)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LAT,LON (52.52,13.40)") from None


def asn(text: str) -> int:
    """``AS3320`` or ``3320``."""
    digits = text.upper().removeprefix("AS")
    if not (digits.isascii() and digits.isdigit()):  # "¹".isdigit(), and int() refuses it
        raise argparse.ArgumentTypeError(f"{text!r} is not an AS number")
    return int(digits)


def hub_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``); the port is required: the hub has no well-known one.

    Raises:
        ValueError: malformed, or no port.
    """
    host, port = split_host_port(text, default_port=0)
    if port == 0:
        raise ValueError(f"--hub {text!r} needs a port: HOST:PORT")
    return host, port


def icmp_opens() -> bool:
    """Whether this process may open an ICMP socket (root, or ping_group_range)."""
    from cloudping.probes.icmp.transport import IcmpSocket  # noqa: PLC0415 (only here)

    try:
        IcmpSocket.open(4).close()
    except (CloudpingError, OSError):
        return False
    return True


def capabilities(icmp: Callable[[], bool] = icmp_opens) -> tuple[Capability, ...]:
    """What this agent can run: ICMP needs a socket it may open; the rest needs nothing
    special (a scan falls back to UDP or TCP without ICMP)."""
    rest: tuple[Capability, ...] = ("udp", "tcp", "dns", "http", "http3", "scan")
    first: tuple[Capability, ...] = ("icmp",) if icmp() else ()
    return first + rest


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """Everything ``cloudping agent`` was told, checked."""

    host: str
    port: int
    trust: HubTrust
    hello: Hello
    rules: AgentRules
    ws: HubUrl | None = None  # dial this WebSocket URL rather than QUIC at host:port
    metrics_listen: tuple[str, int] | None = None  # serve /metrics there (no token)


def settings(args: argparse.Namespace, caps: tuple[Capability, ...]) -> AgentSettings:
    """Check the options and build the hello.

    Raises:
        ValueError: an option is not valid (the message names it).
        CloudpingError: the fingerprint is malformed.
    """
    ws = parse_hub_url(args.hub) if "://" in args.hub else None
    host, port = (ws.host, ws.port) if ws else hub_address(args.hub)
    served = parse_served(args.serve)
    lat, lon = args.lat_lon or (None, None)
    attributes = AgentAttributes(
        country=args.country,
        city=args.city,
        lat=lat,
        lon=lon,
        asn=args.asn,
        isp=args.isp,
        dn42_asn=args.dn42_asn,
        dn42_isp=args.dn42_isp,
        tags=tuple(args.tag),
        capabilities=caps,
        serves=tuple(str(net) for net in served),
        software=f"cloudping/{__version__}",
    )
    if args.hub_fingerprint is not None:
        trust = HubTrust.pinned(args.hub_fingerprint)
    else:
        trust = HubTrust.from_ca_file(args.hub_ca)
    hello = Hello(name=args.name, token=agent_token(args), attributes=attributes)
    rules = AgentRules(served=served, max_rate_pps=args.max_rate)
    metrics = None
    if args.metrics_listen is not None:
        metrics = split_host_port(args.metrics_listen, default_port=0)
        if metrics[1] == 0:
            raise ValueError(f"--metrics-listen {args.metrics_listen!r} needs a port: HOST:PORT")
    return AgentSettings(
        host=host, port=port, trust=trust, hello=hello, rules=rules, ws=ws, metrics_listen=metrics
    )


def agent_token(args: argparse.Namespace) -> str:
    """``--token``, or the first line of ``--token-file``.

    Raises:
        ValueError: the file cannot be read or holds no token (the message names the file).
    """
    if args.token_file is None:
        token: str = args.token
        return token
    try:
        text = Path(args.token_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--token-file {args.token_file}: {exc}") from exc
    lines = text.strip().splitlines()
    if not lines:
        raise ValueError(f"--token-file {args.token_file} holds no token")
    return lines[0].strip()


def main(argv: Sequence[str]) -> int:
    """Run ``cloudping agent`` with ``argv`` (the words after ``agent``)."""
    args = load_settings(parser(), argv).namespace
    configure_logging(args.log_format, verbose=args.verbose)
    try:
        config = settings(args, capabilities())
    except (ValueError, CloudpingError) as exc:
        sys.stderr.write(f"cloudping agent: {getattr(exc, 'message', exc)}\n")
        return EXIT_USAGE
    try:
        asyncio.run(serve(config))
    except ListenError as exc:  # the only listener an agent has
        sys.stderr.write(f"cloudping agent: {exc.message} (--metrics-listen HOST:PORT moves it)\n")
        return EXIT_USAGE
    return EXIT_OK


async def serve(config: AgentSettings) -> None:
    """Run until SIGINT/SIGTERM, then cancel the jobs, send their ends and leave."""
    task = asyncio.current_task()
    assert task is not None  # asyncio.run runs us in a task
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    with suppress(asyncio.CancelledError):
        await run_agent(config)


def dialler(config: AgentSettings) -> Dial:
    """Opens one connection to the hub over the transport ``--hub`` names."""

    @asynccontextmanager
    async def dial(*, on_event: OnEvent) -> AsyncIterator[HubSession]:
        trust, hello = config.trust, config.hello
        if config.ws is not None:
            async with dial_hub_ws(config.ws, trust=trust, hello=hello, on_event=on_event) as ws:
                yield ws
        else:
            # Imported here: a WebSocket agent (where UDP is blocked) never loads aioquic.
            from cloudping.transport.quic import dial_hub  # noqa: PLC0415

            async with dial_hub(
                config.host, config.port, trust=trust, hello=hello, on_event=on_event
            ) as link:
                yield link

    return dial


async def run_agent(config: AgentSettings) -> None:
    """The agent's life: one shared probe environment, jobs, the reconnect loop."""
    metrics, sock = None, None
    if config.metrics_listen is not None:
        # Only an agent that serves metrics counts them (and loads prometheus_client).
        from cloudping.metrics import AgentMetrics  # noqa: PLC0415

        metrics = AgentMetrics()
        # Bound first: a taken port is one plain error, before anything starts.
        sock = bind_tcp(*config.metrics_listen)
    try:
        async with (
            ProbeEnv(agent=config.hello.name) as env,
            Agent.running(env, config.rules, metrics) as agent,
            AsyncExitStack() as stack,
        ):
            if metrics is not None and sock is not None:
                await stack.enter_async_context(serve_metrics(sock, metrics.scrape))
            await stay_connected(dialler(config), agent)
    finally:
        if sock is not None:
            sock.close()
