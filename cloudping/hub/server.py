"""The hub process: its data directory, the agents' listeners (QUIC, and WebSocket where UDP
is blocked) and the :class:`Hub`.

:class:`HubServer` owns everything long-lived, as one async context manager: the signing
keys and token service, the SQLite store, the hub certificate, the listener, the optional
in-process ``local`` agent and the hub itself. Channels (the HTTP API, MCP, ...) are built on
top of it from ``.hub``, ``.registry``, ``.tokens`` and ``.store`` inside the block.

On start, measurements a crashed hub left ``running`` in the store are finished as
``interrupted`` (each with a last ``end`` event), before any new one runs.

Shutdown runs in the reverse order of start: the hub first (every running measurement is
cancelled and its stream still ends with ``end``), then the agents are told the hub is
going, then the store closes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

import httpx

from cloudping.agent.observer import AgentObserver
from cloudping.auth import DEFAULT_ISSUER, TokenService, data_dir_tokens
from cloudping.datafiles import private_dir
from cloudping.hub.agentdoor import AgentDoor, Liveness
from cloudping.hub.certfile import CERT_FILE, KEY_FILE, hub_certificate
from cloudping.hub.local import LocalAgentBridge, LocalAgentSettings, local_agent
from cloudping.hub.measurements import Hub, HubSettings
from cloudping.hub.observer import HubObserver
from cloudping.hub.registry import MemoryRegistry
from cloudping.hub.retention import Retention, retention
from cloudping.hub.tokenwatch import watch_tokens
from cloudping.ipinfo.annotate import annotated
from cloudping.ipinfo.aspath import expected_paths
from cloudping.ipinfo.bgp import BgpTable
from cloudping.ipinfo.mmdb import MmdbFile, watching
from cloudping.ipinfo.placement import placed
from cloudping.ipinfo.router import Ipinfo
from cloudping.ipinfo.setup import IpinfoSettings, build
from cloudping.routes.lookup import RouteStore
from cloudping.store.sqlite import SqliteStore
from cloudping.transport.core import ConnectionSettings
from cloudping.transport.quic import AgentServer, serve_agents
from cloudping.transport.ws import WsAgentServer, serve_agents_ws
from cloudping.wire.codec import build_adapters

STORE_FILE = "measurements.db"
DEFAULT_CERT_NAME = "cloudping-hub"
log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class HubServerSettings:
    """Where the hub keeps its state and listens, and what it asks of agents.

    Attributes:
        data_dir: keys, certificate, store (created if missing).
        agent_host: the UDP address agents dial.
        agent_port: its port (0 picks a free one; see :attr:`HubServer.agent_port`).
        issuer: ``iss`` of the tokens the hub accepts and issues.
        hub: bounds on measurements.
        liveness: heartbeat interval and idle timeout agents are given.
        local_agent: run an in-process agent named ``local`` (``cloudping up``).
        cert_names: names put in a new certificate (the listen host when it is specific).
        retention: how long measurements are kept in the store.
        agent_ws: also serve agents over WebSocket at ``wss://HOST:PORT/agent`` (TCP; port
            0 picks a free one), with the same certificate.
        ipinfo: the local IP info files (``--geoip-city``, ``--geoip-asn``): they answer
            ``ipinfo`` and annotate every hop and target of the agents' events.
    """

    data_dir: Path
    agent_host: str = "127.0.0.1"
    agent_port: int = 0
    issuer: str = DEFAULT_ISSUER
    hub: HubSettings = field(default_factory=HubSettings)
    liveness: Liveness = field(default_factory=Liveness)
    local_agent: LocalAgentSettings | None = None
    cert_names: tuple[str, ...] = ()
    retention: Retention = field(default_factory=Retention)
    agent_ws: tuple[str, int] | None = None
    ipinfo: IpinfoSettings = field(default_factory=IpinfoSettings)

    def certificate_names(self) -> tuple[str, ...]:
        """The names for a new certificate; pinning does not need them, a CA file does."""
        if self.cert_names:
            return self.cert_names
        if _is_unspecified(self.agent_host):
            return (DEFAULT_CERT_NAME,)
        return (self.agent_host,)


class HubServer:
    """A running hub: ``async with HubServer(settings) as server``.

    Args:
        settings: see :class:`HubServerSettings`.
        clock: POSIX seconds (token expiry, timestamps); tests may pass a fake.
        observer: told what the hub does, for the metrics (default: nobody).
        local_observer: told what the in-process ``local`` agent does, when there is one.
    """

    def __init__(
        self,
        settings: HubServerSettings,
        *,
        clock: Callable[[], float] = time.time,
        observer: HubObserver | None = None,
        local_observer: AgentObserver | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._observer = observer
        self._local_observer = local_observer
        self._stack: AsyncExitStack | None = None
        self.registry = MemoryRegistry()
        self._store: SqliteStore | None = None
        self._tokens: TokenService | None = None
        self._hub: Hub | None = None
        self._ipinfo: Ipinfo | None = None
        self._listener: AgentServer | None = None
        self._ws_listener: WsAgentServer | None = None
        self.fingerprint = ""
        self.local: LocalAgentBridge | None = None
        self.door: AgentDoor | None = None

    @property
    def hub(self) -> Hub:
        """The hub measurements run on (inside the block)."""
        return _started(self._hub)

    @property
    def ipinfo(self) -> Ipinfo:
        """The IP info providers (inside the block): the command service answers ``ipinfo``
        with them, and the hub annotates events with their local data."""
        return _started(self._ipinfo)

    @property
    def store(self) -> SqliteStore:
        """The measurement store (``DATA_DIR/measurements.db``)."""
        return _started(self._store)

    @property
    def tokens(self) -> TokenService:
        """Verifies (and issues) tokens with the data directory's keys."""
        return _started(self._tokens)

    @property
    def agent_port(self) -> int:
        """The UDP port agents dial (the bound one, also after asking for port 0)."""
        return _started(self._listener).port

    @property
    def agent_ws_url(self) -> str | None:
        """``wss://HOST:PORT/agent`` with the bound port, when the WebSocket listener runs."""
        _started(self._listener)
        return None if self._ws_listener is None else self._ws_listener.url

    @property
    def cert_path(self) -> Path:
        """``DATA_DIR/hub.crt``: what ``--hub-ca`` can name instead of the fingerprint."""
        return self.settings.data_dir / CERT_FILE

    async def __aenter__(self) -> Self:
        async with AsyncExitStack() as stack:
            await self._start(stack)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(kind, error, trace)

    async def _start(self, stack: AsyncExitStack) -> None:
        settings, data_dir = self.settings, self.settings.data_dir
        private_dir(data_dir)
        # SQLite files and keys, opened in a worker thread: the loop may already serve others
        # (the tests' loop audit, an embedding application).
        tokens = data_dir_tokens(data_dir, settings.issuer)
        self._tokens = await asyncio.to_thread(stack.enter_context, tokens)
        await asyncio.to_thread(build_adapters)
        certificate = hub_certificate(data_dir, settings.certificate_names())
        self.fingerprint = certificate.fingerprint
        self._store = await stack.enter_async_context(SqliteStore.open(data_dir / STORE_FILE))
        # Before anything runs: what is still `running` was left by a hub that died (kill -9,
        # power loss); it will never end by itself, and its followers would wait forever.
        interrupted = await self._store.interrupt_running(self._clock())
        if interrupted:
            log.warning(
                "%d measurements left running by a crash marked interrupted", len(interrupted)
            )
        await stack.enter_async_context(retention(self._store, settings.retention, self._clock))
        client = None
        if settings.ipinfo.remote:  # the HTTP providers' client (its TLS setup reads files)
            client = await asyncio.to_thread(httpx.AsyncClient, trust_env=False)
            stack.push_async_callback(client.aclose)
        # The route store: its origin AS for every address, kept in memory (issue 17), and
        # the AS paths it expects towards a path's address (issue 18).
        routes = RouteStore(data_dir)
        ipinfo = self._ipinfo = await asyncio.to_thread(build, settings.ipinfo, client, routes)
        files = [s for s in ipinfo.local_sources if isinstance(s, MmdbFile | BgpTable)]
        await stack.enter_async_context(watching(files))
        hub = Hub(
            self.registry,
            self._store,
            settings=settings.hub,
            clock=self._clock,
            observer=self._observer,
            annotate=lambda event: annotated(event, ipinfo.local),
            expected_paths=partial(expected_paths, routes),
        )
        self.door = AgentDoor(
            hub,
            self.registry,
            self.tokens,
            liveness=settings.liveness,
            clock=self._clock,
            place=lambda attributes, peer: placed(attributes, peer, ipinfo.local),
        )
        await stack.enter_async_context(self.door.open())
        await stack.enter_async_context(
            watch_tokens(self._tokens.revocations.refresh, self.door.expel_lapsed, self._clock)
        )
        await self._listen(stack, self.door)
        if settings.local_agent is not None:
            self.local = await stack.enter_async_context(
                local_agent(
                    hub, self.registry, settings.local_agent, self._clock(), self._local_observer
                )
            )
        self._hub = await stack.enter_async_context(hub)

    async def _listen(self, stack: AsyncExitStack, door: AgentDoor) -> None:
        """The agents' listeners: QUIC, and WebSocket when asked for; one door for both."""
        settings = self.settings
        cert, key = settings.data_dir / CERT_FILE, settings.data_dir / KEY_FILE
        self._listener = await stack.enter_async_context(
            serve_agents(
                settings.agent_host,
                settings.agent_port,
                certificate=cert,
                private_key=key,
                on_event=door,
                # QUIC's own idle timeout stays above the protocol's, which says why.
                settings=ConnectionSettings(quic_idle_timeout=2 * settings.liveness.idle_timeout_s),
            )
        )
        if settings.agent_ws is not None:
            host, port = settings.agent_ws
            self._ws_listener = await stack.enter_async_context(
                serve_agents_ws(host, port, certificate=cert, private_key=key, on_event=door)
            )


def _is_unspecified(host: str) -> bool:
    """Whether ``host`` is ``0.0.0.0``/``::`` (every address: no name to certify)."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _started(value: _T | None) -> _T:
    if value is None:
        raise RuntimeError("use the hub server inside `async with HubServer(...)`")
    return value
