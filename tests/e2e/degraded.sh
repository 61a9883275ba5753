#!/usr/bin/env bash
# degraded.sh - stopping Redis or RabbitMQ makes /health Degraded (naming the
# dependency) within 5 s while /health/live stays Healthy; starting it again
# brings Healthy back with no restart of walletflow.
source "$(dirname "$0")/lib.sh"
STACK="$(cd "$(dirname "$0")/../.." && pwd)/deploy/stack.sh"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1
wait_http "$BASE/health/live" 200
wait_body "$BASE/health" '^Healthy$' 10

for dep in redis rabbitmq; do
    trap '"$STACK" start '"$dep"' >/dev/null 2>&1 || true; e2e_cleanup' EXIT
    "$STACK" stop "$dep" >/dev/null
    wait_body "$BASE/health" '^Degraded$' 5
    request GET "$BASE/health" -H 'Accept: application/json'
    expect_status 200 "Degraded is still 200"
    # RabbitMQ's own check says Degraded (events wait in the outbox), with the backlog.
    status=Unhealthy
    [ "$dep" = rabbitmq ] && status=Degraded
    expect_body "\"$dep\":\\{\"status\":\"$status\"" "/health names $dep as down"
    [ "$dep" != rabbitmq ] || expect_body '"backlogRows":[0-9]+' "/health shows the AMQP backlog"
    request GET "$BASE/health/live"
    expect_status 200 "live while $dep is down"
    expect_body '^Healthy$' "live while $dep is down"
    request GET "$BASE/health/ready"
    expect_status 200 "ready while $dep is down"
    request GET "$BASE/api/system/info"
    expect_status 200 "requests still served while $dep is down"
    pass "$dep down -> Degraded"
    "$STACK" start "$dep" >/dev/null
    trap e2e_cleanup EXIT
    wait_body "$BASE/health" '^Healthy$' 10
    pass "$dep back -> Healthy without restart"
done

# PostgreSQL is required: /health/ready and /health turn Unhealthy (503).
trap '"$STACK" start postgres >/dev/null 2>&1 || true; e2e_cleanup' EXIT
"$STACK" stop postgres >/dev/null
wait_http "$BASE/health/ready" 503 5
request GET "$BASE/health"
expect_status 503 "postgres down"
expect_body '^Unhealthy$' "postgres down"
request GET "$BASE/api/system/info"
expect_status 503 "system.info without postgres"
expect_header 'content-type: application/problem\+json' "503 is problem+json"
request GET "$BASE/health/live"
expect_status 200 "live without postgres"
"$STACK" start postgres >/dev/null
trap e2e_cleanup EXIT
wait_body "$BASE/health" '^Healthy$' 15
wait_http "$BASE/api/system/info" 200 10
pass "postgres down -> Unhealthy/503, back -> Healthy"
