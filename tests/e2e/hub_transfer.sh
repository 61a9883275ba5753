#!/usr/bin/env bash
# hub_transfer.sh - the whole path to the hub: register two users, transfer from
# one to the other through the REST API, and the receiver's official SignalR
# client gets exactly one BalanceUpdated (hub_transfer.mjs), over JSON and over
# MessagePack. Waits are generous (30 s) because the outbox relay delivers rows
# in id order, and rows other tests left in the database come first.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$HERE/node_modules/@microsoft/signalr-protocol-msgpack" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/e2e failed"
fi

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-hub-transfer-secret-0123456789abcdef0123}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --argon2-ops 1 --argon2-mem-kib 8192
wait_http "$BASE/health/ready" 200 20
for protocol in json messagepack; do
    HUB_WAIT_MS=30000 timeout 120 node "$HERE/hub_transfer.mjs" "$BASE" "$protocol" \
        || fail "hub_transfer.mjs $protocol"
done
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
pass "graceful stop"
