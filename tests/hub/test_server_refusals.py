"""Who the hub turns away at the hello, over real QUIC: the refusal's code, no registration,
and no token in the logs.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from cloudping.auth import KeyRing, SigningKey, TokenService
from cloudping.hub.server import HubServer
from cloudping.transport.quic import dial_hub
from cloudping.transport.trust import HubTrust
from cloudping.wire import HubRefusedError

from .test_server import WAIT, hello, hub_with_agent, run, settings, token


def _b64(data: Mapping[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(server: HubServer, sub: str) -> str:
    """A token claiming ``alg: none`` with otherwise valid claims (RFC 7519 section 6)."""
    now = int(time.time())
    header = {"alg": "none", "typ": "JWT", "kid": server.tokens.keys.active.kid}
    claims = {
        "iss": server.tokens.issuer,
        "sub": sub,
        "aud": "agent",
        "iat": now,
        "exp": now + 600,
        "jti": "unsigned-1",
    }
    return f"{_b64(header)}.{_b64(claims)}."


def foreign(server: HubServer, sub: str) -> str:
    """Well-formed, but signed by a key this hub does not have."""
    other = TokenService(KeyRing.of(SigningKey.generate()), server.tokens.issuer)
    return other.issue(sub, "agent", ttl=600, now=time.time())


BAD_TOKENS: dict[str, Callable[[HubServer], str]] = {
    "garbage": lambda server: "not-a-jwt",
    "foreign key": lambda server: foreign(server, "a1"),
    "expired": lambda server: token(server, "a1", now=time.time() - 3600, ttl=60),
    "api audience": lambda server: token(server, "a1", aud="api"),
    "alg none": lambda server: unsigned(server, "a1"),
    "another agent's": lambda server: token(server, "a2"),
}


async def refusal(server: HubServer, name: str, secret: str) -> str:
    """Dial as ``name`` with ``secret``; the hub's refuse code."""
    with pytest.raises(HubRefusedError) as refused:
        async with dial_hub(
            "127.0.0.1",
            server.agent_port,
            trust=HubTrust.pinned(server.fingerprint),
            hello=hello(name, secret),
            on_event=lambda link, event: None,
            timeout=WAIT,
        ):
            pass
    return refused.value.refuse_code


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_an_agent_with_a_bad_token_is_refused_unauthorized_and_not_registered(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secrets: list[str] = []

    async def scenario() -> None:
        async with HubServer(settings(tmp_path)) as server:
            secrets.append(BAD_TOKENS[kind](server))
            assert await refusal(server, "a1", secrets[0]) == "unauthorized"
            assert await server.registry.list() == ()

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    assert "agent 'a1' refused" in caplog.text
    assert secrets[0] not in caplog.text


def test_a_second_agent_with_a_live_name_is_refused_and_the_first_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        async with hub_with_agent(tmp_path, "a1") as (server, dial):
            secret = token(server, "a1")
            assert await refusal(server, "a1", secret) == "name_in_use"
            entry = await server.registry.get("a1")
            assert entry is not None
            assert server.door is not None
            assert entry.handle is server.door.handles[0]
        assert secret not in caplog.text
        assert dial.hello.token not in caplog.text

    with caplog.at_level(logging.DEBUG):
        run(scenario())
