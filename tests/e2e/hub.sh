#!/usr/bin/env bash
# hub.sh - the SignalR hub end to end: refusals checked with curl, then the
# official Node clients (hub.mjs) over JSON and MessagePack. wf_notify_send
# plays the outbox relay, delivering balance events to the notifier through
# the broker over tcp; wf_jwt_tool mints access tokens with the server's key.
#
# Needs NOTIFY_SEND and JWT_TOOL (paths, set by ctest) and node with the
# packages of tests/e2e (installed with npm ci when missing).
source "$(dirname "$0")/lib.sh"

: "${NOTIFY_SEND:?NOTIFY_SEND must name wf_notify_send}"
: "${JWT_TOOL:?JWT_TOOL must name wf_jwt_tool}"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$HERE/node_modules/@microsoft/signalr-protocol-msgpack" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/e2e failed"
fi

# One key for the server and the token tool, through the environment only.
export WF_JWT_SECRET="hub-e2e-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
USER_MAX=8 # WF_HUB_USER_CONNECTIONS_MAX
uuid() { cat /proc/sys/kernel/random/uuid; }
token() { "$JWT_TOOL" issue "$@" "$1@example.com" Test User User; }
USER_A=$(uuid) USER_B=$(uuid) USER_C=$(uuid)
TOKEN_A=$(token "$USER_A") TOKEN_B=$(token "$USER_B") TOKEN_C=$(token "$USER_C")
TOKEN_EXPIRED=$("$JWT_TOOL" issue --now $(($(date +%s) - 3600)) "$USER_A" a@example.com A A User)

HTTP=$(free_port)
BROKER=$(free_port)
BASE="http://127.0.0.1:$HTTP"
start_walletflow wf --actors broker,front,notifier --http-port "$HTTP" \
    --http-interface 127.0.0.1 --broker-bind "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200
wait_http "$BASE/health/live" 200

# Negotiate needs a valid token.
request POST "$BASE/hubs/wallet/negotiate?negotiateVersion=1" -H 'Content-Length: 0'
expect_status 401 "negotiate without a token"
expect_header '^www-authenticate: Bearer' "401 challenges for a bearer token"
request POST "$BASE/hubs/wallet/negotiate?negotiateVersion=1" -H 'Content-Length: 0' \
    -H "Authorization: Bearer $TOKEN_EXPIRED"
expect_status 401 "negotiate with an expired token"
request POST "$BASE/hubs/wallet/negotiate?negotiateVersion=1&access_token=$TOKEN_A" \
    -H 'Content-Length: 0'
expect_status 200 "negotiate with access_token"
expect_body '"negotiateVersion":1,"connectionId":"[A-Za-z0-9_-]{22}","connectionToken":"[A-Za-z0-9_-]{50}"' \
    "negotiate answer"
expect_body '"availableTransports":\[\{"transport":"WebSockets","transferFormats":\["Text","Binary"\]\}\]' \
    "WebSockets only"
CONNECTION_TOKEN=$(sed -E 's/.*"connectionToken":"([^"]+)".*/\1/' <<<"$BODY")
pass "negotiate: 401 without or with an expired token, 200 with the transports"

# The WebSocket upgrade: refused with a status before any WebSocket exists.
upgrade() { # upgrade PATH_AND_QUERY [CURL ARGS...]
    local target=$1; shift
    request GET "$BASE$target" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
        -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$@"
}
upgrade "/hubs/wallet"
expect_status 401 "upgrade without a token"
upgrade "/hubs/wallet?access_token=$TOKEN_EXPIRED"
expect_status 401 "upgrade with an expired token"
upgrade "/hubs/wallet" -H "Authorization: Bearer ${TOKEN_A}x"
expect_status 401 "upgrade with a forged token"
upgrade "/hubs/other?access_token=$TOKEN_A"
expect_status 404 "upgrade on another path"
upgrade "/hubs/wallet?id=$CONNECTION_TOKEN&access_token=$TOKEN_B"
expect_status 404 "another user's connection token"
upgrade "/hubs/wallet?id=nonsense&access_token=$TOKEN_A"
expect_status 404 "unknown connection token"
pass "upgrade: 401 bad tokens, 404 other paths and foreign or unknown connection ids"

HUB_URL="$BASE/hubs/wallet" BROKER="tcp://127.0.0.1:$BROKER" USER_A="$USER_A" USER_B="$USER_B" \
    USER_C="$USER_C" TOKEN_A="$TOKEN_A" TOKEN_B="$TOKEN_B" TOKEN_C="$TOKEN_C" \
    TOKEN_EXPIRED="$TOKEN_EXPIRED" USER_MAX="$USER_MAX" SERVER_PID="$wf_PID" \
    NOTIFY_SEND="$NOTIFY_SEND" JWT_TOOL="$JWT_TOOL" \
    timeout 120 node "$HERE/hub.mjs" || fail "hub.mjs failed"

# hub.mjs stopped the server last: it must exit cleanly, promptly.
end=$((SECONDS + 15))
while kill -0 "$wf_PID" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
kill -0 "$wf_PID" 2>/dev/null && fail "walletflow did not stop within 15 s of SIGTERM"
set +e; wait "$wf_PID"; code=$?; set -e
[ "$code" = 0 ] || fail "walletflow exited $code after SIGTERM"
grep -q 'event=hub_connected .*protocol=messagepack' "$E2E_TMP/wf.log" || fail "no hub_connected log line"
pass "graceful drain with hub connections open"
