"""The OpenAPI document is valid, and the whole API answers as it says (schemathesis).

The app under schemathesis has no agents and a guest anywhere: every well-formed command ends
in ``no_agent_matched`` before any job starts, so the run is bounded and needs no network; a
name given to ``ipinfo`` is refused by a resolver that sends no packet.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.result import Ok

from cloudping.auth import KeyRing, SigningKey, TokenService
from cloudping.channels.api import app, document
from cloudping.errors import CloudpingError
from cloudping.hub import Hub, MemoryRegistry
from cloudping.ipinfo.router import Ipinfo
from cloudping.service import ApiSettings, CommandService
from cloudping.store import MemoryStore

_TOKENS = TokenService(KeyRing.of(SigningKey.generate()))
_STORE = MemoryStore()
_GUESTS = ApiSettings(anonymous="guest", guest_loopback_only=False)


async def _no_dns(name: str) -> Any:
    raise CloudpingError(f"{name} did not resolve: no DNS here", code="resolve_failed")


_HUB = Hub(MemoryRegistry(), _STORE)
_SERVICE = CommandService(_HUB, _STORE, _GUESTS, ipinfo=Ipinfo(resolve=_no_dns))
_APP = app(_SERVICE, _TOKENS)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _APP)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def test_the_document_is_openapi_3_1_with_every_measurement_command() -> None:
    doc = document()
    assert doc["openapi"] == "3.1.0"
    body = doc["paths"]["/api/v1/measurements"]["post"]["requestBody"]
    refs = [item["$ref"] for item in body["content"]["application/json"]["schema"]["anyOf"]]
    assert "#/components/schemas/PingCommand" in refs
    assert "background" in doc["components"]["schemas"]["PingCommand"]["properties"]


def test_schemathesis_loads_every_operation() -> None:
    results = list(schema.get_all_operations())
    loaded = {
        (result.ok().method.lower(), result.ok().path)
        for result in results
        if isinstance(result, Ok)
    }
    assert len(loaded) == len(results)
    # schemathesis leaves out the document's own path (it loaded it already).
    documented = {
        (method, path)
        for path, operations in document()["paths"].items()
        for method in operations
        if path != "/api/v1/openapi.json"
    }
    assert loaded == documented
    assert {("post", "/api/v1/commands"), ("delete", "/api/v1/measurements/{id}")} <= loaded
    assert ("get", "/api/v1/measurements/{id}/picture.png") in loaded


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_answer_matches_the_document(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=CHECKS)
