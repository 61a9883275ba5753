#!/usr/bin/env bash
# hub_bench.sh - benchmarks of the SignalR hub (not a test, not in ctest):
#   commit -> client latency p50/p99 over NOTIFICATIONS (default 1200) BalanceUpdated,
#   and IDLE_CLIENTS (default 2000) idle WebSocket clients held open at once, with
#   walletflow's RSS printed. See hub_bench.mjs for what is measured how.
#
#   eval "$(deploy/stack.sh env)"
#   WALLETFLOW=build/actors/runtime/walletflow tests/e2e/hub_bench.sh
#
# Use a database no other walletflow uses (WF_PG_URL=.../some_db): the outbox relay of
# any other process on the same database would deliver some of these notifications.
WALLETFLOW=${WALLETFLOW:-$(cd "$(dirname "$0")/../.." && pwd)/build/actors/runtime/walletflow}
export WALLETFLOW
source "$(dirname "$0")/lib.sh"
# A benchmark from one address: no rate limits.
export WF_RATE_LIMIT=0
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$HERE/node_modules/@microsoft/signalr" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/e2e failed"
fi

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
WF_JWT_SECRET="hub-bench-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export WF_JWT_SECRET
# One log line per request would be measured too: warnings only.
WF_LOG_LEVEL=warn start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 \
    --argon2-ops 1 --argon2-mem-kib 8192
wait_http "$BASE/health/ready" 200 20
echo "walletflow pid $wf_PID on $BASE ($WALLETFLOW), $(nproc) cores"
timeout 300 node "$HERE/hub_bench.mjs" "$BASE" "$wf_PID" || fail "hub_bench.mjs"
stop_process "$wf_PID" 15
