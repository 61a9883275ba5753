#!/usr/bin/env bash
# ledger.sh - issue 10 end to end: holds, the overdraft limit, refunds,
# metadata, balance at a moment and statements (ledger.mjs), the new
# BalanceUpdated types at the hub (ledger_hub.mjs), then a hold that falls due
# while walletflow is stopped, released exactly once after the restart; the
# audit after each part.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: run through deploy/test.sh}"
source "$HERE/amqp_lib.sh"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-ledger-secret-0123456789abcdef0123456789ab}
ARGS=(--http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 --argon2-ops 1 --argon2-mem-kib 8192)
start_walletflow wf "${ARGS[@]}"
wait_http "$BASE/health/ready" 200 20
node "$HERE/ledger.mjs" "$BASE" || fail "ledger.mjs"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit"; }
pass "audit: every invariant holds (holds, captures, overdraft, refunds)"

# The new BalanceUpdated types through the official SignalR client, and the new
# events on RabbitMQ (an amqplib consumer bound to "#").
if [ ! -d "$HERE/node_modules/@microsoft/signalr" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/e2e failed"
fi
MARK=$(amqp_outbox_mark)
amqp_collect_start
HUB_WAIT_MS=30000 timeout 60 node "$HERE/ledger_hub.mjs" "$BASE" || fail "ledger_hub.mjs"
amqp_expect_all "$MARK" 30
for key in finance.hold.placed finance.hold.captured finance.money.withdrawn finance.hold.voided \
    finance.hold.expired finance.deposit.refunded; do
    grep -q " $key\$" "$COLLECT_OUT" || fail "no $key message on RabbitMQ"
done
amqp_collect_stop
pass "hold and refund events on RabbitMQ with their routing keys"

# A hold due in 2 s; walletflow is killed at once and stays down past the due time.
node "$HERE/ledger.mjs" "$BASE" prepare "$E2E_TMP/sleeper.json" || fail "prepare"
kill -9 "$wf_PID"
set +e; wait "$wf_PID" 2>/dev/null; set -e
sleep 3
start_walletflow wf "${ARGS[@]}"
wait_http "$BASE/health/ready" 200 20
node "$HERE/ledger.mjs" "$BASE" expired "$E2E_TMP/sleeper.json" || fail "expiry after restart"
HOLD=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["holdId"])' "$E2E_TMP/sleeper.json")
COUNT=$(psql "$WF_PG_URL" -tAc "SELECT count (*) FROM events WHERE type = 'HoldExpired' AND data->>'holdId' = '$HOLD'")
[ "$COUNT" = 1 ] || fail "HoldExpired events for the hold: $COUNT (want exactly 1)"
pass "the hold expired while stopped is released after the restart, exactly once"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit after restart"; }
pass "audit after the restart"
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
