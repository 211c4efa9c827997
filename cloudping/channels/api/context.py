"""What every route of the API shares: the command service it shares with the other channels
(the API reaches the hub and the store only through it) and the tokens that say who calls."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from cloudping.auth import TokenService
from cloudping.channels.api.caller import authenticate
from cloudping.service import ApiSettings, Caller, CommandService


@dataclass(frozen=True, slots=True)
class Api:
    """The API's collaborators, kept on ``app.state.api``."""

    service: CommandService
    tokens: TokenService

    @property
    def settings(self) -> ApiSettings:
        """How the channels treat callers (the service's settings)."""
        return self.service.settings

    def caller(self, request: Request) -> Caller:
        """The verified caller of ``request`` (see :func:`authenticate`)."""
        return authenticate(request, self.tokens, self.settings)


def api_of(request: Request) -> Api:
    """The :class:`Api` of the app serving ``request``."""
    api: Api = request.app.state.api
    return api
