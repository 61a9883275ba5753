#!/usr/bin/env bash
# load.sh - concurrency and crash: 50 clients move money among 20 accounts;
# walletflow is killed with -9 in the middle and restarted. Afterwards every
# acknowledged movement is present exactly once, balances add up, 422s left
# no trace, the outbox drains and the audit passes.
source "$(dirname "$0")/lib.sh"
# This test hammers the money endpoints on purpose (load.mjs): no rate limits.
export WF_RATE_LIMIT=0
HERE=$(cd "$(dirname "$0")" && pwd)
LOAD_SECONDS=${WF_LOAD_SECONDS:-30}     # phase 1: the issue's ~30 s of concurrency
CRASH_SECONDS=${WF_CRASH_SECONDS:-15}   # phase 2: load with a kill -9 a third of the way in

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-load-secret-0123456789abcdef0123456789abcd}
ARGS=(--http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 --argon2-ops 1 --argon2-mem-kib 8192)
start_walletflow wf "${ARGS[@]}"
wait_http "$BASE/health/ready" 200 20
ACKS="$E2E_TMP/acks.jsonl"
USERS="$E2E_TMP/users.json"
: >"$ACKS"

# Phase 1: load without faults.
node "$HERE/load.mjs" "$BASE" "$LOAD_SECONDS" 50 20 "$ACKS" "$USERS" || fail "load phase 1"
node "$HERE/verify.mjs" "$BASE" "$USERS" "$ACKS" || fail "verify after phase 1"
pass "50 clients x 20 accounts: every acknowledged movement once, balances add up"

# Phase 2: kill -9 in the middle of the load, restart, keep going.
node "$HERE/load.mjs" "$BASE" "$CRASH_SECONDS" 50 20 "$ACKS" "$USERS" >"$E2E_TMP/phase2.out" 2>&1 &
LOAD=$!
sleep $((CRASH_SECONDS / 3))
kill -9 "$wf_PID"
wait "$wf_PID" 2>/dev/null || true   # its port is free once it has really gone (ASan exits slowly)
start_walletflow wf2 "${ARGS[@]}"
wait_http "$BASE/health/ready" 200 20
wait "$LOAD" || { cat "$E2E_TMP/phase2.out"; fail "load phase 2"; }
node "$HERE/verify.mjs" "$BASE" "$USERS" "$ACKS" || fail "verify after kill -9"
pass "kill -9 mid-load + restart: nothing acknowledged lost or applied twice"

# The outbox drains and the audit holds.
end=$((SECONDS + 20))
while [ $SECONDS -lt $end ]; do
    left=$(psql "$WF_PG_URL" -Atc "SELECT count(*) FROM outbox WHERE 'account' = ANY (pending)")
    [ "$left" = 0 ] && break
    sleep 0.2
done
[ "$left" = 0 ] || fail "outbox still holds $left undelivered account deliveries"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit"; }
pass "outbox drained; audit passes"
stop_process "$wf2_PID" 20
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
