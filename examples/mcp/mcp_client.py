"""Call one tool of a cloudping hub over MCP from a terminal, with progress on stderr.

    python examples/mcp/mcp_client.py ping '{"targets": ["example.com"], "count": 3}'
    python examples/mcp/mcp_client.py --list

The hub's URL and token come from CLOUDPING_HUB (default http://127.0.0.1:8080) and
CLOUDPING_TOKEN (cloudping token issue --aud api --scope measure), or --hub and --token.
Exit status: 0 for a result, 1 for a tool error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import TextContent


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description="Call a cloudping MCP tool.")
    parser.add_argument("tool", nargs="?", help="the tool: ping, traceroute, dns, ...")
    parser.add_argument("arguments", nargs="?", default="{}", help="its arguments as JSON")
    parser.add_argument("--list", action="store_true", help="list the tools instead")
    parser.add_argument("--hub", default=os.environ.get("CLOUDPING_HUB", "http://127.0.0.1:8080"))
    parser.add_argument("--token", default=os.environ.get("CLOUDPING_TOKEN"))
    return parser.parse_args()


async def progress(progress: float, total: float | None, message: str | None) -> None:
    """Show a progress notification on stderr."""
    sys.stderr.write(f"[{progress:g}/{total or '?'}] {message or ''}\n")


async def main(args: argparse.Namespace) -> int:
    """List the tools, or call one and print its result."""
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    url = args.hub.rstrip("/") + "/mcp"
    async with (
        httpx2.AsyncClient(headers=headers, timeout=120) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        if args.list or not args.tool:
            for tool in (await client.list_tools()).tools:
                sys.stdout.write(f"{tool.name}: {tool.title}\n")
            return 0
        result = await client.call_tool(
            args.tool, json.loads(args.arguments), progress_callback=progress
        )
    for block in result.content:
        if isinstance(block, TextContent):
            sys.stdout.write(block.text + "\n")
        else:
            sys.stdout.write(f"({block.type} content)\n")
    return 1 if result.is_error else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
