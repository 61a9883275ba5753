#!/usr/bin/env bash
# amqp_bench.sh - benchmark (not a test): confirmed publish rate and outbox-to-RabbitMQ lag.
#
#   eval "$(deploy/stack.sh env)"; WALLETFLOW=build/actors/runtime/walletflow tests/e2e/amqp_bench.sh
#
# walletflow runs every actor against the stack; benchmark rows go straight into the outbox
# (MoneyDeposited payloads, destination amqp only, tagged "amqp-bench-<run>-<phase>" in their
# description), so the relay and the AMQP bridge are measured, not the HTTP front or the account
# shards. An amqplib consumer bound to finance.money.deposited records when each arrives.
#   1. burst: BENCH_BURST_ROWS rows (20000) committed at once; the time until the consumer has
#      them all gives the sustained confirmed publish rate (the bridge acknowledges a row to the
#      relay only after RabbitMQ confirmed it; wf_amqp_confirms_total is read beside it);
#   2. steady: BENCH_RATE rows/s (2000) for BENCH_SECONDS (10), inserted every 100 ms; lag =
#      arrival at the consumer - the row's creation (clock_timestamp() in the insert), p50/p99/max.
# The rows are deleted afterwards. Numbers on the shared 2-core machine wander by 2x.
WALLETFLOW=${WALLETFLOW:-$(cd "$(dirname "$0")/../.." && pwd)/build/actors/runtime/walletflow}
export WALLETFLOW
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/amqp_lib.sh"
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: eval \"\$(deploy/stack.sh env)\"}"
HERE="$AMQP_HERE"
BURST=${BENCH_BURST_ROWS:-20000}
RATE=${BENCH_RATE:-2000}
DURATION=${BENCH_SECONDS:-10}
RUN="$$-$RANDOM"
TICKS=$((DURATION * 10))
PER_TICK=$((RATE / 10))

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --amqp-url "$WF_AMQP_URL"
wait_http "$BASE/health/ready" 200 20
OUT="$E2E_TMP/arrivals.txt"
: >"$OUT"
: >"$E2E_TMP/consumer.log"
node "$HERE/amqp_bench.mjs" "$WF_AMQP_URL" "$RUN" "$OUT" >"$E2E_TMP/consumer.log" 2>&1 &
CONSUMER=$!
E2E_PIDS+=("$CONSUMER")
end=$((SECONDS + 20))
until grep -q '^ready$' "$E2E_TMP/consumer.log"; do
    [ $SECONDS -lt $end ] || fail "the consumer was not ready: $(cat "$E2E_TMP/consumer.log")"
    sleep 0.1
done
# The benchmark rows go, whatever happens.
cleanup_rows() {
    psql "$WF_PG_URL" -qc "DELETE FROM outbox WHERE payload->>'description' LIKE 'amqp-bench-$RUN-%'" \
        >/dev/null 2>&1 || true
}
trap 'cleanup_rows; amqp_cleanup' EXIT

# INSERT of N benchmark rows of one phase (occurredAt = the row's own creation time).
rows_sql() {
    cat <<SQL
INSERT INTO outbox (type, stream_id, payload, destinations, pending)
SELECT 'MoneyDeposited', id, jsonb_build_object ('transactionId', gen_random_uuid (), 'accountId', id,
       'ownerId', gen_random_uuid (), 'amount', 100, 'currency', 'ARS', 'balanceAfter', 100,
       'description', 'amqp-bench-$RUN-$2', 'accountVersion', 1, 'occurredAt',
       to_char (clock_timestamp () AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
       '{amqp}', '{amqp}'
FROM (SELECT gen_random_uuid () AS id FROM generate_series (1, $1)) AS rows;
SQL
}

# confirms: the bridge's acknowledged publishes so far (the front collects every actor's metrics).
confirms() {
    curl -s "$BASE/metrics" | awk '/^wf_amqp_confirms_total\{.*result="ack"/ {sum += $NF} END {print sum + 0}'
}

# wait_arrivals PHASE COUNT SECONDS: waits until COUNT rows of PHASE arrived.
wait_arrivals() {
    local end=$((SECONDS + $3)) got
    while :; do
        got=$(grep -c "^$1 " "$OUT" || true)
        [ "$got" -ge "$2" ] && return 0
        [ $SECONDS -lt $end ] || fail "only $got of $2 $1 rows arrived within $3 s"
        sleep 0.1
    done
}

echo "amqp_bench: burst of $BURST rows, then $RATE rows/s for $DURATION s (run $RUN)"
C0=$(confirms)
T0=$(now_ms)
rows_sql "$BURST" burst | psql "$WF_PG_URL" -q >/dev/null
T1=$(now_ms)
wait_arrivals burst "$BURST" 300
LAST=$(awk '$1 == "burst" {if ($2 > m) m = $2} END {print m}' "$OUT")
sleep 2.2 # the front refreshes actor metrics once a second
C1=$(confirms)
RATE_MEASURED=$(awk -v n="$BURST" -v ms="$((LAST - T1))" 'BEGIN {printf "%.0f", n * 1000 / (ms > 0 ? ms : 1)}')
echo "burst: $BURST rows committed in $((T1 - T0)) ms, all received $((LAST - T1)) ms after the commit"
echo "    sustained confirmed publish rate: $RATE_MEASURED rows/s ($((C1 - C0)) publisher confirms acked)"

{
    for _ in $(seq "$TICKS"); do
        rows_sql "$PER_TICK" steady
        echo "SELECT pg_sleep (0.1);"
    done
} | psql "$WF_PG_URL" -q >/dev/null
wait_arrivals steady $((TICKS * PER_TICK)) 120
read -r n p50 p99 max <<<"$(awk '$1 == "steady" {print $2 - $3}' "$OUT" | sort -n |
    awk '{v[NR] = $1} END {print NR, v[int((NR - 1) * 0.5) + 1], v[int((NR - 1) * 0.99) + 1], v[NR]}')"
read -r FIRST LASTC <<<"$(awk '$1 == "steady" {if (!n++ || $3 < lo) lo = $3; if ($3 > hi) hi = $3}
                               END {print lo, hi}' "$OUT")"
echo "steady: $n rows over $(((LASTC - FIRST) / 1000)) s ($(awk -v n="$n" -v ms="$((LASTC - FIRST))" 'BEGIN {printf "%.0f", n * 1000 / (ms > 0 ? ms : 1)}') rows/s offered)"
echo "    outbox-to-RabbitMQ lag (row created -> consumer): p50 $p50 ms, p99 $p99 ms, max $max ms"
kill -TERM "$CONSUMER" 2>/dev/null || true
stop_process "$wf_PID" 20
