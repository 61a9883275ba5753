#!/usr/bin/env bash
# rolling.sh - failover and graceful restarts under a money load (issue 8):
#   front: broker + front + health, the broker on tcp
#   rest:  identity, relay, query, notifier, amqp bridge, system
#   w1/w2: two processes that each serve every account shard
# While 12 clients move money:
# 1. rolling restart: SIGTERM w1 (it drains: the broker sends it nothing new,
#    it commits and answers what it holds, exits 0), start it again, wait for
#    it to register, the same for w2. No request may fail in this window
#    (no 5xx, no connection error: the other worker always serves).
# 2. failover: kill -9 w1; the broker notices the closed connections (not
#    the heartbeat expiry), drops w1's workers and routes to w2; requests it
#    had not handed over yet are requeued, those in flight at w1 fail (503)
#    and the clients retry them with their Idempotency-Key.
# 3. front and broker restart: SIGTERM the front process (it drains its HTTP
#    requests), start it again on the same ports; clients reconnect, workers
#    re-register by themselves.
# Then every acknowledged movement is present once and the audit passes.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
LOAD_SECONDS=${WF_ROLLING_LOAD_SECONDS:-30}

HTTP=$(free_port) BROKER=$(free_port) METRICS=$(free_port) NOTIFY=$(free_port)
BASE="http://127.0.0.1:$HTTP"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-rolling-secret-0123456789abcdef0123456789ab}
# The load comes from one address on purpose: the front's rate limits would refuse most of it.
export WF_RATE_LIMIT=0
# 500 ms beats: the liveness window (3 beats) must outlast PostgreSQL's 1 s
# deadlock_timeout, which two workers of one shard can meet inside a batch
# (a worker blocked in a statement cannot heartbeat).
COMMON=(--heartbeat-ms 500 --metrics-endpoint "tcp://127.0.0.1:$METRICS"
        --notifier-endpoint "tcp://127.0.0.1:$NOTIFY")
WORKER=("${COMMON[@]}" --broker "tcp://127.0.0.1:$BROKER")

start_front() {
    start_walletflow "$1" --actors broker,front,health "${COMMON[@]}" --http-port "$HTTP" \
        --http-interface 127.0.0.1 --broker-bind "tcp://127.0.0.1:$BROKER"
}
start_shards() { start_walletflow "$1" --actors account "${WORKER[@]}"; }
# workers: how many workers the broker has registered (its metrics, through the front).
workers() {
    curl -s --max-time 2 "$BASE/metrics" | awk '$1 == "wf_broker_workers" {print $2}'
}
# wait_workers N: until the broker counts N workers.
wait_workers() {
    local end=$((SECONDS + 30)) got=""
    while [ $SECONDS -lt $end ]; do
        got=$(workers || true)
        [ "$got" = "$1" ] && return 0
        sleep 0.2
    done
    fail "the broker never counted $1 workers (last: ${got:-none})"
}
# stop_graceful NAME: SIGTERM, expect exit 0 within 10 s.
stop_graceful() {
    local pid_var="${1}_PID"
    stop_process "${!pid_var}" 10
    [ "$EXIT_CODE" = 0 ] || fail "$1 exited $EXIT_CODE after SIGTERM"
}

start_front front
start_walletflow rest --actors identity,relay,query,notifier,amqp,system "${WORKER[@]}" \
    --argon2-ops 1 --argon2-mem-kib 8192
start_shards w1
start_shards w2
wait_http "$BASE/health/live" 200 30
# identity, query, notifier, amqp, system + 4 shards in each of w1 and w2
FULL=13
wait_workers "$FULL"
pass "front, the rest, and two workers for every shard registered ($FULL workers)"

# Rows earlier tests left undelivered are claimed first (id order): let the
# relay drain them, or a new user's wallet may wait behind them.
backlog_wait() {
    local end=$((SECONDS + 90)) left
    while :; do
        left=$(psql "$1" -Atc "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        [ "$left" = 0 ] && return 0
        [ $SECONDS -lt $end ] || fail "the outbox backlog of $left rows did not drain"
        sleep 0.5
    done
}
backlog_wait "$WF_PG_URL"
ACKS="$E2E_TMP/acks.jsonl" USERS="$E2E_TMP/users.json" LAT="$E2E_TMP/latency.txt"
: >"$ACKS"
node "$HERE/load.mjs" "$BASE" 2 6 12 "$ACKS" "$USERS" >"$E2E_TMP/warmup.out" 2>&1 \
    || { cat "$E2E_TMP/warmup.out"; fail "warm-up load"; }
LOAD_LATENCY_OUT="$LAT" node "$HERE/load.mjs" "$BASE" "$LOAD_SECONDS" 12 12 "$ACKS" "$USERS" \
    >"$E2E_TMP/load.out" 2>&1 &
LOAD=$!
sleep 2

# 1. Rolling restart of the shard workers.
roll_from=$(date +%s%3N)
stop_graceful w1
grep -q '"stopped"\|event=stopped' "$E2E_TMP/w1.log" || fail "w1 did not log a clean stop"
start_shards w1b
wait_workers "$FULL"
stop_graceful w2
start_shards w2b
wait_workers "$FULL"
roll_to=$(date +%s%3N)
pass "rolling restart: w1 and w2 drained (exit 0) and came back"

# 2. A worker dies: the broker routes its shards to the other one.
sleep 1
crash_ms=$(date +%s%3N)
kill -9 "$w1b_PID"
set +e; wait "$w1b_PID" 2>/dev/null; set -e
wait_workers $((FULL - 4))
sleep 1
# metric NAME: one of the broker's counters, through the front.
metric() { curl -s --max-time 2 "$BASE/metrics" | awk -v n="$1" '$1 == n {print $2}'; }
# Normally all four by their closed connections; a starved broker may count
# some by heartbeat expiry first. Either way all four are gone (the metrics
# reach the front once a second: poll).
end=$((SECONDS + 10))
while :; do
    lost=$(metric wf_broker_workers_lost_total) requeued=$(metric wf_broker_requeued_total)
    expired=$(metric wf_broker_workers_expired_total)
    [ $((${lost:-0} + ${expired:-0})) -ge 4 ] && break
    [ $SECONDS -lt $end ] ||
        fail "w1's workers not dropped (lost $lost, expired $expired): $(curl -s "$BASE/metrics" | grep '^wf_broker')"
    sleep 0.3
done
sleep 1
start_shards w1c
wait_workers "$FULL"

# 3. The front and broker restart.
sleep 1
front_down_ms=$(date +%s%3N)
stop_graceful front
start_front front2
wait_http "$BASE/health/live" 200 30
wait_workers "$FULL"
front_up_ms=$(date +%s%3N)
pass "front and broker restarted; every worker re-registered"

wait "$LOAD" || { cat "$E2E_TMP/load.out"; fail "load through the restarts"; }
echo "load: $(head -n 1 "$E2E_TMP/load.out")"
# count FROM TO [STATUS_REGEX]: requests started in [FROM, TO) with a status.
count() {
    awk -v from="$1" -v to="$2" -v want="${3:-.}" \
        '$1 >= from && $1 < to && $3 ~ want {n++} END {print n + 0}' "$LAT"
}
echo "rolling restart ($(((roll_to - roll_from) / 1000)) s): $(count "$roll_from" "$roll_to" '^200$') answered 200," \
     "$(count "$roll_from" "$roll_to" '^(5|network)') failed"
echo "worker killed: $lost shard workers dropped when their connections closed ($expired by" \
     "heartbeat expiry), $requeued" \
     "requests requeued to the other worker;" \
     "$(count "$crash_ms" "$((crash_ms + 2000))" '^200$') answered 200 in the next 2 s," \
     "$(count "$crash_ms" "$((crash_ms + 2000))" '^(5|network)') failed (retried)"
echo "front restart: $(count "$front_down_ms" "$front_up_ms" '^(5|network)') failed (retried)," \
     "$(count "$front_up_ms" 99999999999999 '^200$') answered 200 after it"
[ "$(count "$roll_from" "$roll_to" '^(5|network)')" = 0 ] \
    || fail "requests failed during the rolling restart: $(awk -v f="$roll_from" -v t="$roll_to" '$1 >= f && $1 < t && $3 !~ /^(200|422)$/' "$LAT" | head -3)"
[ "$(count "$roll_from" "$roll_to" '^200$')" -gt 0 ] || fail "nothing served during the rolling restart"
[ "$(count "$front_up_ms" 99999999999999 '^200$')" -gt 0 ] || fail "nothing served after the front restart"
pass "nothing failed during the rolling restart; service went on through the crash and the front restart"

end=$((SECONDS + 45))
left=?
while [ $SECONDS -lt $end ]; do
    left=$(psql "$WF_PG_URL" -Atc "SELECT count(*) FROM outbox WHERE 'account' = ANY (pending)")
    [ "$left" = 0 ] && break
    sleep 0.2
done
[ "$left" = 0 ] || fail "outbox still holds $left undelivered account deliveries"
node "$HERE/verify.mjs" "$BASE" "$USERS" "$ACKS" || fail "verify after the restarts"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit"; }
echo "$(tail -n 1 "$E2E_TMP/audit.out")"
pass "every acknowledged movement present once; walletflow audit passes"
