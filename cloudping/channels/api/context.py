"""What every route of the API shares: the store, the tokens, the settings, and the command
service it shares with the other channels (the API reaches the hub only through it)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from cloudping.auth import TokenService
from cloudping.channels.api.caller import authenticate
from cloudping.service import ApiSettings, Caller, CommandService
from cloudping.store import MeasurementStore


@dataclass(frozen=True, slots=True)
class Api:
    """The API's collaborators, kept on ``app.state.api``."""

    store: MeasurementStore
    tokens: TokenService
    settings: ApiSettings
    service: CommandService

    def caller(self, request: Request) -> Caller:
        """The verified caller of ``request`` (see :func:`authenticate`)."""
        return authenticate(request, self.tokens, self.settings)


def api_of(request: Request) -> Api:
    """The :class:`Api` of the app serving ``request``."""
    api: Api = request.app.state.api
    return api
