#!/usr/bin/env bash
# amqp_flow.sh - every integration event of real money flows reaches RabbitMQ, read by amqplib.
#
# walletflow runs every actor against the stack; amqp_flow.mjs binds its queues, registers users
# and moves money through HTTP, and checks each event's routing key, properties and body, the
# MassTransit envelopes, and that the outbox rows with the amqp destination are exactly the
# message ids received. Then /health shows the (empty) AMQP backlog and /metrics the bridge's
# counters and the backlog gauges.
source "$(dirname "$0")/lib.sh"
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: run through deploy/test.sh}"
HERE="$(cd "$(dirname "$0")" && pwd)"
[ -d "$HERE/node_modules/amqplib" ] || (cd "$HERE" && npm ci --no-audit --no-fund --silent) ||
    fail "npm ci failed in $HERE"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-amqp-flow-secret-0123456789abcdef0123456789}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 \
    --argon2-ops 1 --argon2-mem-kib 8192 --amqp-url "$WF_AMQP_URL"
wait_http "$BASE/health/ready" 200 20

node "$HERE/amqp_flow.mjs" "$BASE" "$WF_AMQP_URL" >"$E2E_TMP/flow.log" 2>&1 || {
    cat "$E2E_TMP/flow.log"
    fail "amqp_flow.mjs"
}
cat "$E2E_TMP/flow.log"
pass "money flows: every event on RabbitMQ with its routing key, properties, body and envelope"

# The backlog is measured and shown; with RabbitMQ up and the bridge running it drains to 0.
# (40 s: rows other tests left behind may sit in the relay's backoff for up to 30 s.)
wait_body "$BASE/health/ready" '"rabbitmq":\{"status":"Healthy"[^}]*"backlogRows":0,' 40 \
    -H 'Accept: application/json'
pass "/health/ready: rabbitmq Healthy with its backlog (0 rows) in description and data"
# Other actors' metrics reach the front once a second: wait for each series.
for series in 'wf_amqp_published_total\{[^}]*kind="topic"' 'wf_amqp_confirms_total\{[^}]*result="ack"' \
    'wf_amqp_retried_total' 'wf_amqp_backlog_rows' 'wf_amqp_backlog_age_seconds'; do
    wait_body "$BASE/metrics" "^$series" 10
done
pass "/metrics: published, confirmed, retried, backlog rows and age"

# A row that waits for amqp for over 60 s while RabbitMQ answers: events are not flowing, so
# rabbitmq is Degraded though reachable. (Due in an hour: no relay takes it; removed at exit.)
STUCK=0badc0de-0000-4000-8000-0000000f10e5
trap 'psql "$WF_PG_URL" -qc "DELETE FROM outbox WHERE message_id = '"'$STUCK'"'" >/dev/null 2>&1 || true; e2e_cleanup' EXIT
psql "$WF_PG_URL" -qc "INSERT INTO outbox (message_id, type, payload, destinations, pending,
    next_attempt_at, created_at) VALUES ('$STUCK', 'AccountSuspended', '{}', '{amqp}', '{amqp}',
    now () + interval '1 hour', now () - interval '2 minutes')" >/dev/null
wait_body "$BASE/health/ready" '"rabbitmq":\{"status":"Degraded"[^}]*oldest [0-9.]+ s \(RabbitMQ answers but events are not flowing\)' \
    10 -H 'Accept: application/json'
psql "$WF_PG_URL" -qc "DELETE FROM outbox WHERE message_id = '$STUCK'" >/dev/null
wait_body "$BASE/health/ready" '"rabbitmq":\{"status":"Healthy"' 10 -H 'Accept: application/json'
pass "a backlog older than 60 s with RabbitMQ reachable: Degraded, then Healthy once it is gone"

stop_process "$wf_PID" 20
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE after SIGTERM"
