#!/usr/bin/env bash
# amqp_crash.sh - kill -9 walletflow while it publishes; after the restart every outbox row
# still reaches RabbitMQ.
#
# A money load keeps the bridge publishing (rows in flight, confirms pending). walletflow is
# killed with -9 at a moment when rows still wait for amqp, and started again; the load retries
# its ambiguous requests with the same Idempotency-Key. Afterwards the amqplib consumer must have
# received every outbox row created during the test that has the amqp destination (the set of
# message ids equals the set of rows; rows published but not yet recorded as acknowledged at the
# kill come again: duplicates, counted and printed), and the money verifies.
source "$(dirname "$0")/lib.sh"
# This test hammers the money endpoints on purpose (load.mjs): no rate limits.
export WF_RATE_LIMIT=0
source "$(dirname "$0")/amqp_lib.sh"
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: run through deploy/test.sh}"
HERE="$AMQP_HERE"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-amqp-crash-secret-0123456789abcdef0123456789}
ARGS=(--http-port "$PORT" --http-interface 127.0.0.1 --argon2-ops 1
    --argon2-mem-kib 8192 --amqp-url "$WF_AMQP_URL")
start_walletflow wf "${ARGS[@]}"
wait_http "$BASE/health/ready" 200 20
MARK=$(amqp_outbox_mark)
amqp_collect_start

ACKS="$E2E_TMP/acks.jsonl" USERS="$E2E_TMP/users.json"
: >"$ACKS"
LOAD_STOP_FILE="$E2E_TMP/stop" node "$HERE/load.mjs" "$BASE" 120 16 10 "$ACKS" "$USERS" \
    >"$E2E_TMP/load.out" 2>&1 &
LOAD=$!
E2E_PIDS+=("$LOAD")

# Kill at a moment when the bridge is publishing and rows still wait for it.
end=$((SECONDS + 30))
while :; do
    kill -0 "$LOAD" 2>/dev/null || fail "the load stopped early: $(cat "$E2E_TMP/load.out")"
    [ $SECONDS -lt $end ] || fail "no moment with rows waiting for amqp under load within 30s"
    if [ "$(wc -l <"$ACKS")" -ge 300 ] && [ -s "$COLLECT_OUT" ]; then
        pending=$(psql_value "SELECT count(*) FROM outbox WHERE id > $MARK AND 'amqp' = ANY (pending)")
        [ "$pending" -gt 0 ] && break
    fi
    sleep 0.05
done
kill -9 "$wf_PID"
KILLED_RECEIVED=$(wc -l <"$COLLECT_OUT")
wait "$wf_PID" 2>/dev/null || true # gone, its port free, before the restart binds it
pass "kill -9 while publishing: $pending rows waited for amqp, $KILLED_RECEIVED messages received so far"

start_walletflow wf2 "${ARGS[@]}"
wait_http "$BASE/health/ready" 200 20
sleep 3
touch "$E2E_TMP/stop"
wait "$LOAD" || { cat "$E2E_TMP/load.out"; fail "the load failed"; }
echo "    answers: $(head -n 1 "$E2E_TMP/load.out")"
pass "restarted; the load went on (ambiguous requests retried with their Idempotency-Key)"

amqp_wait_drained "$MARK" 30
amqp_expect_all "$MARK" 20
pass "every outbox row with the amqp destination reached the consumer after the crash ($AMQP_ROWS rows, $AMQP_DUPLICATES duplicates)"
node "$HERE/verify.mjs" "$BASE" "$USERS" "$ACKS" || fail "verify"
amqp_collect_stop
stop_process "$wf2_PID" 20
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE after SIGTERM"
