#!/usr/bin/env bash
# Add a cloudping hub to Claude Code (a CLI agent) as an MCP server over StreamableHTTP.
# CLOUDPING_HUB: the hub's URL (cloudping up: http://127.0.0.1:8080);
# CLOUDPING_TOKEN: a token with the measure scope (cloudping token issue --aud api --scope measure).
set -euo pipefail
hub="${CLOUDPING_HUB:-http://127.0.0.1:8080}"
token="${CLOUDPING_TOKEN:?set CLOUDPING_TOKEN to YOUR_CLOUDPING_TOKEN}"
claude mcp add --transport http cloudping "$hub/mcp" --header "Authorization: Bearer $token"
