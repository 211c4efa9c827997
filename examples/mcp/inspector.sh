#!/usr/bin/env bash
# Talk to a cloudping hub from a terminal with the MCP Inspector's CLI: the copy that
# scripts/setup pins and installs (tools/mcp-inspector, on its own Node 22), nothing downloaded.
#
#   make run                                         # cloudping up: hub + local agent on :8080
#   export CLOUDPING_TOKEN="$(cat ~/.local/share/cloudping/admin.token)"   # up's admin token, or:
#   .venv/bin/cloudping token issue --sub me --aud api --scope measure --scope private
#   examples/mcp/inspector.sh
#
# CLOUDPING_HUB: the hub's URL (default http://127.0.0.1:8080, cloudping up's);
# CLOUDPING_TARGET: what to ping (default 127.0.0.1: loopback, which `up` serves to tokens
# with the `private` scope, so this works on a machine without Internet access).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
hub="${CLOUDPING_HUB:-http://127.0.0.1:8080}"
target="${CLOUDPING_TARGET:-127.0.0.1}"
token="${CLOUDPING_TOKEN:?set CLOUDPING_TOKEN: see the top of this script for how to get one}"
bin="tools/mcp-inspector/node_modules/.bin"
[[ -x "$bin/mcp-inspector" ]] || { echo "the MCP Inspector is not installed: run scripts/setup" >&2; exit 2; }

# Ask the hub first: given a 401, the Inspector would start an interactive OAuth sign-in
# ("Interactive OAuth requires a TTY") instead of saying what is wrong.
hello='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"inspector.sh","version":"1"}}}'
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Accept: application/json, text/event-stream' --json "$hello" "$hub/mcp" || true)"
case "$status" in
    200) ;;
    401) echo "bad token: the hub at $hub refused CLOUDPING_TOKEN (expired, revoked or not its own)" >&2; exit 2 ;;
    000) echo "no hub answers at $hub (start one with: make run)" >&2; exit 2 ;;
    *) echo "the hub at $hub answered HTTP $status" >&2; exit 2 ;;
esac

inspect() {
    # The token travels in a header the Inspector reads from its arguments; keep this script
    # out of shared shells' history if the token matters.
    PATH="$PWD/$bin:$PATH" "$bin/mcp-inspector" --cli --transport http \
        --server-url "$hub/mcp" --header "Authorization: Bearer $token" --format json "$@"
}
inspect --method tools/list
inspect --method tools/call --tool-name ping --tool-arg "targets=[\"$target\"]" --tool-arg count=3
inspect --method tools/call --tool-name list_agents
