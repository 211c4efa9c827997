"""A hub with sign-in, a real OpenID Connect provider (npm ``oidc-provider`` on Node 22),
and a client that plays the browser through the provider's login and consent forms."""

from __future__ import annotations

import asyncio
import html
import ipaddress
import re
import selectors
import socket
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from upprocess import free_port

from cloudping.agent.admit import AgentRules
from cloudping.channels.plug import ChannelFactory
from cloudping.hub.local import LocalAgentSettings
from cloudping.hub.server import HubServerSettings
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import serve
from cloudping.service import ApiSettings

ROOT = Path(__file__).resolve().parents[3]
NODE = ROOT / "tools/oidc-provider/node_modules/.bin/node"
PROVIDER_SCRIPT = ROOT / "tools/oidc-provider/provider.mjs"
CLIENT_SECRET = "lab-client-secret"  # noqa: S105 - the lab provider's static client
WAIT = 10.0
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """A running provider: its issuer URL, and the hub port its client sends people to."""

    issuer: str
    hub_port: int


@contextmanager
def oidc_provider(provider_name: str = "corp") -> Iterator[OidcProvider]:
    """Start the provider for a hub that will listen on a port chosen now; stop it by PID."""
    port, hub_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    callback = f"http://127.0.0.1:{hub_port}/auth/login/{provider_name}/callback"
    process = subprocess.Popen(
        [str(NODE), str(PROVIDER_SCRIPT), str(port), callback],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = _line_within(process, WAIT)
        assert line.strip() == "ready", f"oidc-provider did not start: {line!r}"
        yield OidcProvider(f"http://127.0.0.1:{port}", hub_port)
    finally:
        process.terminate()
        process.wait(WAIT)
        if process.stdout is not None:
            process.stdout.close()


def _line_within(process: subprocess.Popen[str], seconds: float) -> str:
    """The child's first stdout line, or "" when it says nothing for ``seconds``."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(seconds):
            return ""
    return process.stdout.readline()


@dataclass(frozen=True, slots=True)
class RunningHub:
    """A hub serving HTTP on ``url`` with sign-in."""

    url: str


@asynccontextmanager
async def hub_with_signin(
    data_dir: Path,
    port: int,
    signin: ChannelFactory,
    clock: Callable[[], float] | None = None,
    also: tuple[ChannelFactory, ...] = (),
) -> AsyncIterator[RunningHub]:
    """A hub on 127.0.0.1:``port`` with its in-process agent (loopback), ``signin`` and the
    channels ``also`` names (the web page, for a browser)."""
    stop, ready = asyncio.Event(), asyncio.Event()
    settings = HubServerSettings(
        data_dir=data_dir,
        agent_port=0,
        local_agent=LocalAgentSettings(rules=AgentRules(served=LOOPBACK)),
    )
    url = f"http://127.0.0.1:{port}"
    api_settings = ApiSettings() if clock is None else ApiSettings(clock=clock)
    api = ApiListen("127.0.0.1", port, api_settings, public_url=url)

    def greeting(_: object, __: int | None) -> str:
        ready.set()
        return ""

    task = asyncio.create_task(
        serve(settings, stop=stop, api=api, greeting=greeting, channels=(signin, *also))
    )
    try:
        async with asyncio.timeout(WAIT):
            await asyncio.wait(
                [asyncio.ensure_future(ready.wait()), task], return_when=asyncio.FIRST_COMPLETED
            )
        if task.done():
            task.result()  # raises what stopped it
        yield RunningHub(url)
    finally:
        stop.set()
        async with asyncio.timeout(WAIT):
            await task


async def through_provider(
    client: httpx.AsyncClient, start: str, login: str, stop_at: str
) -> httpx.Response:
    """Play the browser from ``start``: follow redirects, post the provider's login and
    consent forms (any login is accepted), until an answer comes from ``stop_at``'s origin
    that is not another redirect to the provider; that answer."""
    url = start
    for _ in range(20):
        answer = await client.get(url)
        while answer.is_redirect:
            url = str(answer.url.join(answer.headers["location"]))
            if url.startswith(stop_at):
                return await client.get(url)
            answer = await client.get(url)
        form = _FORM.search(answer.text)
        if form is None:
            return answer
        fields = dict(_HIDDEN.findall(form.group(2)))
        if fields.get("prompt") == "login":
            fields.update(login=login, password="any")  # noqa: S106 - any password signs in
        posted = await client.post(html.unescape(form.group(1)), data=fields)
        if not posted.is_redirect:
            return posted
        url = str(posted.url.join(posted.headers["location"]))
        if url.startswith(stop_at):
            return await client.get(url)
    raise AssertionError("the sign-in went round in circles")
