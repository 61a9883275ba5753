#!/usr/bin/env bash
# amqp.sh - the AMQP bridge end to end, read by a client nobody here wrote (npm amqplib).
#
# walletflow runs the broker and the AMQP bridge (--actors broker,amqp); wf_amqp_send hands
# the bridge outbox rows over tcp exactly as the outbox relay does (every integration event,
# then one row again as a retry); amqp_consume.mjs consumes from a durable queue bound to
# walletflow.events with "#" and from one bound to the MassTransit fanout exchanges, and
# checks every row's routing key, properties and body, and every MassTransit envelope.
# Needs WF_AMQP_URL and WF_AMQP_SEND (the helper's path; ctest sets it).
source "$(dirname "$0")/lib.sh"
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: run through deploy/test.sh}"
: "${WF_AMQP_SEND:?WF_AMQP_SEND must name the wf_amqp_send helper}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROWS=100

if [ ! -d "$HERE/node_modules/amqplib" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci failed in $HERE"
fi

BROKER=$(free_port)
start_walletflow wf --actors broker,amqp --broker-bind "tcp://127.0.0.1:$BROKER" \
    --heartbeat-ms 200 --amqp-url "$WF_AMQP_URL"

node "$HERE/amqp_consume.mjs" "$WF_AMQP_URL" "$E2E_TMP/rows.jsonl" 60000 \
    >"$E2E_TMP/consumer.log" 2>&1 &
CONSUMER_PID=$!
E2E_PIDS+=("$CONSUMER_PID")
end=$((SECONDS + 20))
until grep -q '^ready$' "$E2E_TMP/consumer.log"; do
    kill -0 "$CONSUMER_PID" 2>/dev/null || fail "the amqplib consumer exited before it was ready"
    [ $SECONDS -lt $end ] || fail "the amqplib consumer was not ready within 20s"
    sleep 0.1
done
pass "amqplib consumer bound to walletflow.events and the MassTransit exchanges"

"$WF_AMQP_SEND" --broker "tcp://127.0.0.1:$BROKER" --count "$ROWS" --out "$E2E_TMP/rows.jsonl" \
    --timeout-ms 30000 >"$E2E_TMP/send.log" 2>&1 || fail "rows not acknowledged: $(cat "$E2E_TMP/send.log")"
pass "$ROWS rows and one retry acknowledged by the bridge after publisher confirms"

set +e
wait "$CONSUMER_PID"
CONSUMER_EXIT=$?
set -e
cat "$E2E_TMP/consumer.log"
[ "$CONSUMER_EXIT" = 0 ] || fail "the amqplib consumer found problems (exit $CONSUMER_EXIT)"
pass "every event reached RabbitMQ with its routing key, properties, body and MassTransit envelope"

grep -q 'actor=amqp event=connected' "$E2E_TMP/wf.log" || fail "no 'connected' log line"
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE after SIGTERM"
pass "graceful shutdown"
