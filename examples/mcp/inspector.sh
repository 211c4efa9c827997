#!/usr/bin/env bash
# Talk to a cloudping hub from a terminal with the MCP Inspector's CLI (Node >= 22).
# CLOUDPING_HUB: the hub's URL (cloudping up: http://127.0.0.1:8080);
# CLOUDPING_TOKEN: a token with the measure scope (cloudping token issue --aud api --scope measure).
set -euo pipefail
hub="${CLOUDPING_HUB:-http://127.0.0.1:8080}"
token="${CLOUDPING_TOKEN:?set CLOUDPING_TOKEN to YOUR_CLOUDPING_TOKEN}"
inspect() {
    npx -y @modelcontextprotocol/inspector@2.12.0 --cli --transport http \
        --server-url "$hub/mcp" --header "Authorization: Bearer $token" --format json "$@"
}
inspect --method tools/list
inspect --method tools/call --tool-name ping --tool-arg 'targets=["example.com"]' --tool-arg count=3
inspect --method tools/call --tool-name dns --tool-arg 'names=["example.com"]' --tool-arg type=AAAA
