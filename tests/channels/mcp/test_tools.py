"""Every tool through the SDK's in-process client: schemas, results, errors, images."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import MCPError
from mcp_types import CallToolResult, ImageContent, TextContent
from PIL import Image

from cloudping.commands import json_schema
from cloudping.hub import selection
from cloudping.policy import DEFAULT_LIMITS
from cloudping.service import ApiSettings, Quota
from cloudping.store import MeasurementNotFoundError

from .twin import NOW, McpWorld, mcp_world

pytestmark = pytest.mark.anyio
TOOLS = [
    "list_agents", "ping", "traceroute", "mtr", "tcping", "dns", "http", "scan", "ipinfo",
    "route_lookup", "run_command", "get_measurement",
]  # fmt: skip
# One valid call of each measurement tool, from fra1 (whose link plays a canned result).
CALLS: dict[str, dict[str, Any]] = {
    "ping": {"targets": ["example.com"], "count": 2},
    "traceroute": {"target": "example.com", "queries": 1},
    "mtr": {"target": "example.com", "count": 2},
    "tcping": {"targets": ["example.com:443"], "count": 2},
    "dns": {"names": ["www.example"], "type": "A"},
    "http": {"urls": ["https://www.example/"], "http": "2"},
    "scan": {"cidr": "198.18.0.0/28", "retries": 0},
}


def text_of(result: CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


async def output_schemas(w: McpWorld) -> dict[str, dict[str, Any]]:
    listed = await w.client.list_tools()
    return {tool.name: tool.output_schema or {} for tool in listed.tools}


async def test_tools_list_names_every_tool_with_valid_input_and_output_schemas() -> None:
    async with mcp_world() as w:
        listed = (await w.client.list_tools()).tools
    assert [tool.name for tool in listed] == TOOLS
    for tool in listed:
        Draft202012Validator.check_schema(tool.input_schema)
        assert tool.output_schema is not None
        Draft202012Validator.check_schema(tool.output_schema)
        assert tool.description


async def test_input_schemas_carry_the_grammar_ranges_enums_and_descriptions() -> None:
    async with mcp_world() as w:
        tools = {tool.name: tool for tool in (await w.client.list_tools()).tools}
    ping = tools["ping"].input_schema
    grammar = json_schema("ping")["properties"]
    assert ping["required"] == ["targets"]
    assert "command" not in ping["properties"]
    assert ping["properties"]["count"] == grammar["count"]
    assert ping["properties"]["count"]["maximum"] == DEFAULT_LIMITS.count_max
    assert ping["properties"]["proto"]["enum"] == ["icmp", "udp", "tcp"]
    assert "packets to send" in ping["properties"]["count"]["description"]
    selectors = ping["properties"]["from"]["anyOf"][1]["properties"]["selectors"]["anyOf"]
    assert selectors[0]["type"] == "string"  # "DE+AS3320,fra1", as typed
    assert selectors[1]["type"] == "array"
    description = tools["scan"].description or ""
    assert "usage" not in description
    assert "scan [--proto icmp|udp|tcp]" in description


@pytest.mark.parametrize("tool", list(CALLS))
async def test_each_measurement_tool_returns_a_summary_valid_against_its_output_schema(
    tool: str,
) -> None:
    async with mcp_world() as w:
        arguments = CALLS[tool] | {"from": {"selectors": "fra1"}}
        result = await w.client.call_tool(tool, arguments)  # the client validates it too
        schema = (await output_schemas(w))[tool]
    assert not result.is_error, text_of(result)
    data = result.structured_content
    Draft202012Validator(schema).validate(data)
    assert json.loads(text_of(result)) == data
    assert data["measurement_id"] == "m1"
    assert data["status"] == "ok"
    [job] = data["results"]
    assert job["agent"] == "fra1"
    assert job["verdict"] == "answered"


async def test_ping_summary_has_loss_and_rtt_per_agent_and_target() -> None:
    async with mcp_world() as w:
        arguments = {"targets": ["a.example", "b.example"], "count": 3, "from": {"limit": 2}}
        result = await w.client.call_tool("ping", arguments)
    jobs = {(job["agent"], job["target"]): job for job in result.structured_content["results"]}
    assert set(jobs) == {(a, t) for a in ("fra1", "ams1") for t in ("a.example", "b.example")}
    ping = jobs["fra1", "a.example"]["ping"]
    assert ping["sent"] == ping["received"] == 3
    assert ping["loss"] == 0.0
    assert ping["rtt"]["avg_ms"] == 11.5


async def test_traceroute_summary_is_the_hop_table() -> None:
    async with mcp_world() as w:
        args = {"target": "example.com", "from": {"selectors": [["fra1"]]}}
        result = await w.client.call_tool("traceroute", args)
    path = result.structured_content["results"][0]["path"]
    assert path["reached"] is True
    assert [hop["ttl"] for hop in path["hops"]] == [1, 2, 3]
    assert path["hops"][0]["addresses"] == ["198.18.1.1"]


async def test_scan_returns_the_bitmap_png_beside_the_summary() -> None:
    async with mcp_world() as w:
        args = {"cidr": "198.18.0.0/24", "from": {"selectors": "fra1"}}
        result = await w.client.call_tool("scan", args)
    assert not result.is_error
    images = [block for block in result.content if isinstance(block, ImageContent)]
    assert len(images) == 1
    assert images[0].mime_type == "image/png"
    picture = Image.open(io.BytesIO(base64.b64decode(images[0].data)))
    assert picture.format == "PNG"
    assert picture.width > 256
    scan = result.structured_content["results"][0]["scan"]
    assert scan["total"] == 256
    assert scan["alive"] == 52  # every fifth address of the canned sweep


async def test_list_agents_lists_agents_and_the_selectors_that_exist() -> None:
    async with mcp_world() as w:
        every = (await w.client.call_tool("list_agents", {})).structured_content
        german = await w.client.call_tool("list_agents", {"selector": {"selectors": "DE"}})
    assert [agent["name"] for agent in every["agents"]] == ["ams1", "fra1"]
    assert {"fra1", "DE", "AS1", "Frankfurt", "NL"} <= set(every["selectors"])
    assert "lat" not in every["agents"][0]  # coordinates stay private by default
    assert [agent["name"] for agent in german.structured_content["agents"]] == ["fra1"]


async def test_list_agents_folds_each_selector_term_once_whatever_the_number_of_agents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folded: list[str] = []
    fold = selection._term_keys

    def counted(term: str) -> frozenset[str]:
        folded.append(term)
        return fold(term)

    monkeypatch.setattr(selection, "_term_keys", counted)
    async with mcp_world() as w:
        listed = await w.client.call_tool("list_agents", {"selector": {"selectors": "DE,NL"}})
    assert [agent["name"] for agent in listed.structured_content["agents"]] == ["ams1", "fra1"]
    assert folded == ["DE", "NL"]  # not once per agent and term


async def test_tools_not_built_yet_say_so_as_a_tool_error() -> None:
    async with mcp_world() as w:
        result = await w.client.call_tool("route_lookup", {"prefix": "192.0.2.0/24"})
        offers = [offer for link in w.links.values() for offer in link.offers]
    assert result.is_error
    assert text_of(result).startswith("not_implemented: ")
    assert "not built" in text_of(result)
    assert offers == []


async def test_no_agent_matched_names_the_selectors_that_exist() -> None:
    async with mcp_world() as w:
        args = {"targets": ["example.com"], "from": {"selectors": "JP"}}
        result = await w.client.call_tool("ping", args)
    assert result.is_error
    first, details = text_of(result).split("\n")
    assert first.startswith("no_agent_matched: no agent matches JP; selectors that exist: ")
    assert "fra1" in first
    assert {"fra1", "ams1", "DE"} <= set(json.loads(details)["available"])


@pytest.mark.parametrize(
    "arguments",
    [
        {"targets": ["example.com"], "count": 0},
        {"targets": ["example.com"], "count": "3"},
        {"targets": "example.com"},
        {"targets": ["example.com"], "bogus": True},
        {"targets": ["example.com"], "proto": "sctp"},
        {"targets": ["example.com"], "from": {"selectors": "DE +"}},
        {"targets": ["example.com"], "interval": 0.001},
        {},
    ],
)
async def test_schema_invalid_arguments_are_refused_before_anything_runs(
    arguments: dict[str, Any],
) -> None:
    async with mcp_world() as w:
        result = await w.client.call_tool("ping", arguments)
        offers = [offer for link in w.links.values() for offer in link.offers]
        with pytest.raises(MeasurementNotFoundError):
            await w.store.get("m1")  # nothing was even stored
    assert result.is_error
    assert text_of(result).startswith("bad_command: ping: ")
    assert "usage: ping" in text_of(result)
    assert offers == []


async def test_a_quota_exceeded_is_a_tool_error_with_the_numbers() -> None:
    settings = ApiSettings(clock=lambda: NOW, user_quota=Quota(1, 4))
    async with mcp_world(settings) as w:
        first = await w.client.call_tool("ping", CALLS["ping"])
        second = await w.client.call_tool("ping", CALLS["ping"])
        too_many = await w.client.call_tool("ping", CALLS["ping"] | {"from": {"limit": 2}})
    assert not first.is_error
    assert second.is_error
    assert text_of(second).startswith("quota_exceeded: alice has started 1 measurements")
    assert json.loads(text_of(second).split("\n")[1])["retry_after_s"] == 3600.0
    assert text_of(too_many).startswith("quota_exceeded")


async def test_progress_is_reported_while_the_measurement_runs() -> None:
    async with mcp_world() as w:
        args = CALLS["ping"] | {"count": 3, "from": {"selectors": "fra1"}}
        result = await w.client.call_tool("ping", args, progress_callback=w.on_progress)
        seen = list(w.progress)
    assert not result.is_error
    assert seen, "no progress notification before the result"
    assert seen[0][:2] == (0, 3)
    assert seen[-1][0] == 3
    assert [done for done, *_ in seen] == sorted({done for done, *_ in seen})  # only ever up
    assert any(message and "icmp_seq" in message for *_, message in seen) or seen[-1][2]


async def test_run_command_takes_the_grammar_as_text() -> None:
    async with mcp_world() as w:
        ping = await w.client.call_tool("run_command", {"command": "ping -c 2 -s ams1 x.example"})
        agents = await w.client.call_tool("run_command", {"command": "list NL"})
        helped = await w.client.call_tool("run_command", {"command": "help trace"})
        version = await w.client.call_tool("run_command", {"command": "version"})
        wrong = await w.client.call_tool("run_command", {"command": "ping -c 0 x.example"})
        ipinfo = await w.client.call_tool("run_command", {"command": "ipinfo 192.0.2.1"})
    assert ping.structured_content["results"][0]["agent"] == "ams1"
    assert [a["name"] for a in agents.structured_content["agents"]] == ["ams1"]
    assert helped.structured_content["text"].startswith("usage: traceroute")
    assert "hub: cloudping" in version.structured_content["text"]
    assert wrong.is_error
    assert text_of(wrong).startswith("bad_command: ping: -c: 0 is out of range")
    assert ipinfo.structured_content["results"][0]["special"] == "Documentation (TEST-NET-1)"


async def test_get_measurement_pages_through_the_stored_events() -> None:
    async with mcp_world() as w:
        ran = await w.client.call_tool("ping", CALLS["ping"] | {"count": 5})
        measurement = ran.structured_content["measurement_id"]
        first = await w.client.call_tool(
            "get_measurement", {"measurement_id": measurement, "limit": 4}
        )
        rest = await w.client.call_tool(
            "get_measurement", {"measurement_id": measurement, "offset": 4, "limit": 100}
        )
        replies = await w.client.call_tool(
            "get_measurement", {"measurement_id": measurement, "types": ["reply"]}
        )
    page = first.structured_content
    assert page["total_events"] == ran.structured_content["events"] == 9
    assert [e["type"] for e in page["events"]] == ["measurement", "start", "reply", "reply"]
    assert page["next_offset"] == 4
    assert rest.structured_content["events"][-1]["type"] == "end"
    assert rest.structured_content["next_offset"] is None
    assert [e["seq"] for e in replies.structured_content["events"]] == [1, 2, 3, 4, 5]


async def test_get_measurement_of_an_unknown_id_is_not_found() -> None:
    async with mcp_world() as w:
        result = await w.client.call_tool("get_measurement", {"measurement_id": "nope"})
        bad = await w.client.call_tool("get_measurement", {"measurement_id": "m1", "limit": 0})
    assert text_of(result).startswith("not_found: no measurement 'nope'")
    assert text_of(bad).startswith("bad_command: get_measurement: limit: ")


async def test_the_agent_directory_is_a_resource() -> None:
    async with mcp_world() as w:
        listed = await w.client.list_resources()
        read = await w.client.read_resource("cloudping://agents")
    assert [str(resource.uri) for resource in listed.resources] == ["cloudping://agents"]
    body = json.loads(read.contents[0].text)  # type: ignore[union-attr]
    assert [agent["name"] for agent in body["agents"]] == ["ams1", "fra1"]


async def test_an_in_process_caller_refused_is_refused_by_every_tool_and_the_resource() -> None:
    async with mcp_world(refuse_local=True) as w:
        agents = await w.client.call_tool("list_agents", {})
        ping = await w.client.call_tool("ping", CALLS["ping"])
        with pytest.raises(MCPError) as resource:
            await w.client.read_resource("cloudping://agents")
    assert agents.is_error
    assert text_of(agents).startswith("token_missing: ")
    assert text_of(ping).startswith("token_missing: ")
    assert resource.value.message.startswith("token_missing: ")


async def test_the_diagnose_prompt_chains_ping_traceroute_dns_and_http() -> None:
    async with mcp_world() as w:
        prompts = await w.client.list_prompts()
        got = await w.client.get_prompt("diagnose", {"target": "www.example", "agents": "DE"})
    [prompt] = prompts.prompts
    assert prompt.name == "diagnose"
    assert [a.name for a in prompt.arguments or []] == ["target", "agents"]
    text = got.messages[0].content.text  # type: ignore[union-attr]
    order = [text.index(step) for step in ("1. ping", "2. traceroute", "3. dns", "4. http")]
    assert order == sorted(order)
    assert "http https://www.example/" in text
    assert '"selectors": "DE"' in text


async def test_cancelling_the_call_cancels_the_measurement_and_its_jobs() -> None:
    async with mcp_world(finishes=False) as w:
        replied = asyncio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            if progress >= 1:
                replied.set()

        arguments = {"targets": ["example.com"], "count": 5, "from": {"selectors": "fra1"}}
        call = asyncio.create_task(
            w.client.call_tool("ping", arguments, progress_callback=on_progress)
        )
        await replied.wait()
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        await w.hub.wait("m1")
        stored = await w.store.get("m1")
    assert stored.status == "cancelled"
    assert stored.events[-1].event["type"] == "end"
    assert w.links["fra1"].cancels == ["m1.1"]


def _nulls(node: Any) -> list[str]:
    """Where ``null`` appears in a schema (a type, an enum value, a default)."""
    if isinstance(node, dict):
        return [f"{key}/{where}" for key, value in node.items() for where in _nulls(value)]
    if isinstance(node, list):
        return [where for value in node for where in _nulls(value)]
    return ["null"] if node is None or node == "null" else []


async def test_input_schemas_name_no_null_for_clients_that_refuse_it() -> None:
    # Some LLM clients reject "type": ["integer", "null"]: an optional argument is left out.
    async with mcp_world() as w:
        tools = (await w.client.list_tools()).tools
    assert {tool.name: _nulls(tool.input_schema) for tool in tools} == {
        tool.name: [] for tool in tools
    }


async def test_an_optional_argument_sent_as_null_means_its_default() -> None:
    nulls = {
        "ttl": None,
        "port": None,
        "family": None,
        "from": {"selectors": "fra1", "limit": None},
    }
    async with mcp_world() as w:
        result = await w.client.call_tool("ping", CALLS["ping"] | nulls)
        offers = {name: len(link.offers) for name, link in w.links.items()}
    assert not result.is_error, text_of(result)
    assert "--ttl" not in result.structured_content["command"]
    assert offers == {name: int(name == "fra1") for name in offers}


async def test_a_required_argument_sent_as_null_is_refused() -> None:
    async with mcp_world() as w:
        result = await w.client.call_tool("ping", {"targets": None})
    assert result.is_error
    assert text_of(result).startswith("bad_command: ping: targets: None is not of type 'array'")


@pytest.mark.parametrize("chosen", ["ams1", {"selectors": "ams1"}, {"selectors": [["ams1"]]}])
async def test_from_takes_the_selector_text_a_person_types_or_the_object(chosen: Any) -> None:
    async with mcp_world() as w:
        result = await w.client.call_tool("ping", CALLS["ping"] | {"from": chosen})
        offers = {name: len(link.offers) for name, link in w.links.items()}
    assert not result.is_error, text_of(result)
    assert offers == {"fra1": 0, "ams1": 1}


async def test_the_published_from_is_text_or_an_object() -> None:
    async with mcp_world() as w:
        tools = {tool.name: tool for tool in (await w.client.list_tools()).tools}
    for name, key in [("ping", "from"), ("list_agents", "selector")]:
        options = tools[name].input_schema["properties"][key]["anyOf"]
        assert [option["type"] for option in options] == ["string", "object"]


async def test_run_command_token_is_refused_as_not_issued_over_mcp() -> None:
    async with mcp_world() as w:
        result = await w.client.call_tool("run_command", {"command": "token"})
    assert result.is_error
    assert text_of(result).startswith("token_not_issued: tokens are not issued over mcp: ")


async def test_from_limit_has_the_hubs_largest_limit_in_the_schema_and_the_check() -> None:
    settings = ApiSettings(
        clock=lambda: NOW, limits=dataclasses.replace(DEFAULT_LIMITS, selection_limit_max=100)
    )
    async with mcp_world(settings) as w:
        tools = {tool.name: tool for tool in (await w.client.list_tools()).tools}
        ran = await w.client.call_tool("ping", CALLS["ping"] | {"from": {"limit": 80}})
        too_big = await w.client.call_tool("ping", CALLS["ping"] | {"from": {"limit": 101}})
    limit = tools["ping"].input_schema["properties"]["from"]
    assert '"maximum": 100' in json.dumps(limit)
    assert not ran.is_error
    assert too_big.is_error
    assert text_of(too_big).startswith("bad_command: ping: ")
