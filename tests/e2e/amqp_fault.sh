#!/usr/bin/env bash
# amqp_fault.sh - RabbitMQ stops for 10 s or more under a money load, and starts again.
#
# While clients move money through HTTP, deploy/stack.sh stops the stack's RabbitMQ (the test
# stack: deploy/test.sh exports its WF_VAR_DIR and ports; a trap always starts it again), keeps
# it down for at least 10 s, then starts it. Checks:
#   - the load sees only 200, 201 (holds placed) and 422 (no 5xx, no network error: money never waits for RabbitMQ),
#     and no request takes more than 2.5 s; latency p50/p99/max are printed before, during and
#     after the outage;
#   - while RabbitMQ is down, /health/ready is Degraded, 200, naming rabbitmq as Degraded with the
#     outbox backlog in its description and data;
#   - afterwards the backlog drains, and the amqplib consumer (which reconnects on its own) has
#     received every outbox row with the amqp destination: the set of message ids equals the
#     set of rows; duplicates are counted and printed; the money itself verifies.
source "$(dirname "$0")/lib.sh"
# This test hammers the money endpoints on purpose (load.mjs): no rate limits.
export WF_RATE_LIMIT=0
source "$(dirname "$0")/amqp_lib.sh"
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: run through deploy/test.sh}"
HERE="$AMQP_HERE"
STACK="$(cd "$HERE/../.." && pwd)/deploy/stack.sh"
DOWN_S=${WF_AMQP_DOWN_S:-10}
MAX_LATENCY_MS=2500

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-amqp-fault-secret-0123456789abcdef0123456789}
# Default broker heartbeats (1 s): on a 2-core machine, Erlang booting RabbitMQ starves every
# thread for a while, and 200 ms heartbeats would take that for dead workers (503s that say
# nothing about RabbitMQ itself).
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 \
    --argon2-ops 1 --argon2-mem-kib 8192 --amqp-url "$WF_AMQP_URL"
wait_http "$BASE/health/ready" 200 20
wait_body "$BASE/health" '^Healthy$' 10
MARK=$(amqp_outbox_mark)
amqp_collect_start

ACKS="$E2E_TMP/acks.jsonl" USERS="$E2E_TMP/users.json" SAMPLES="$E2E_TMP/latency.txt"
: >"$ACKS"
LOAD_STOP_FILE="$E2E_TMP/stop" LOAD_LATENCY_OUT="$SAMPLES" \
    node "$HERE/load.mjs" "$BASE" 120 8 10 "$ACKS" "$USERS" >"$E2E_TMP/load.out" 2>&1 &
LOAD=$!
E2E_PIDS+=("$LOAD")
end=$((SECONDS + 30))
until [ "$(wc -l <"$ACKS")" -ge 200 ]; do
    kill -0 "$LOAD" 2>/dev/null || fail "the load stopped early: $(cat "$E2E_TMP/load.out")"
    [ $SECONDS -lt $end ] || fail "the load did not get going within 30s"
    sleep 0.1
done
pass "money load running ($(wc -l <"$ACKS") movements acknowledged)"

# The outage: RabbitMQ is started again whatever happens from here on.
trap '"$STACK" start rabbitmq >/dev/null 2>&1 || true; amqp_cleanup' EXIT
STOP_AT=$(now_ms)
"$STACK" stop rabbitmq >/dev/null 2>&1
DOWN_AT=$(now_ms)
wait_body "$BASE/health/ready" '"rabbitmq":\{"status":"Degraded","[^}]*"description":"backlog [1-9][0-9]* outbox rows waiting for RabbitMQ' \
    8 -H 'Accept: application/json'
request GET "$BASE/health/ready" -H 'Accept: application/json'
expect_status 200 "ready while RabbitMQ is down"
expect_body '^\{"status":"Degraded"' "ready is Degraded while RabbitMQ is down"
expect_body '"backlogRows":[1-9][0-9]*,"backlogOldestSeconds":[0-9.]+' "backlog in the rabbitmq data"
echo "    /health/ready: $(grep -oE '"rabbitmq":\{[^}]*\}' <<<"$BODY")"
pass "RabbitMQ down: /health/ready Degraded (200) with the outbox backlog"
left_ms=$((DOWN_AT + DOWN_S * 1000 - $(now_ms)))
[ "$left_ms" -le 0 ] || sleep "$(((left_ms + 999) / 1000))"
START_AT=$(now_ms)
"$STACK" start rabbitmq >/dev/null 2>&1 || fail "RabbitMQ did not start again"
UP_AT=$(now_ms)
trap amqp_cleanup EXIT
pass "RabbitMQ stopped for $(((START_AT - DOWN_AT) / 1000)) s (unreachable for $(((UP_AT - STOP_AT) / 1000)) s at most), started again"

sleep 3
touch "$E2E_TMP/stop"
wait "$LOAD" || { cat "$E2E_TMP/load.out"; fail "the load failed"; }
COUNTS=$(head -n 1 "$E2E_TMP/load.out")
echo "    answers: $COUNTS"
grep -qE '^\{("(200|201|422)":[0-9]+,?)+\}$' <<<"$COUNTS" ||
    fail "the load saw answers other than 200/201/422: $(cat "$E2E_TMP/load.out")"
for phase in "before $((STOP_AT - 600000)) $STOP_AT" "during $STOP_AT $UP_AT" "after $UP_AT $(now_ms)"; do
    set -- $phase
    read -r n p50 p99 max <<<"$(amqp_latency "$SAMPLES" "$2" "$3")"
    echo "    latency $1 the outage: $n requests, p50 ${p50} ms, p99 ${p99} ms, max ${max} ms"
    [ "$n" -gt 0 ] || fail "no request $1 the outage"
    [ "$max" -le "$MAX_LATENCY_MS" ] || fail "a money request took $max ms $1 the outage"
done
pass "the load saw no error and no request over ${MAX_LATENCY_MS} ms"

amqp_wait_drained "$MARK" 30
grep -E 'actor=amqp event=(disconnected|connected)|actor=relay event=destination_recovered' \
    "$E2E_TMP/wf.log" | sed 's/^/    /' | tail -n 4
grep -q 'actor=relay event=destination_recovered destination=amqp' "$E2E_TMP/wf.log" ||
    fail "the relay did not wake the rows waiting for amqp when it came back"
pass "the bridge reconnected, the relay woke the backlog, and it drained"
amqp_expect_all "$MARK" 20
pass "every outbox row with the amqp destination reached the consumer ($AMQP_ROWS rows, $AMQP_DUPLICATES duplicates)"
node "$HERE/verify.mjs" "$BASE" "$USERS" "$ACKS" || fail "verify"
amqp_collect_stop
stop_process "$wf_PID" 20
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE after SIGTERM"
