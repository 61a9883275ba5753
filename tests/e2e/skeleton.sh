#!/usr/bin/env bash
# skeleton.sh - the walking skeleton end to end through the HTTP front:
# health, the system.info round trip to PostgreSQL, HTTP error answers,
# metrics and logs, graceful shutdown.
source "$(dirname "$0")/lib.sh"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --request-timeout-ms 2000
wait_http "$BASE/health/live" 200
pass "live"

# Every dependency up -> Healthy (the first probe round lands within a second).
wait_body "$BASE/health" '^Healthy$' 10
request GET "$BASE/health" -H 'Accept: application/json'
expect_status 200 "/health json"
expect_body '"status":"Healthy"' "/health json"
for check in postgres redis rabbitmq broker; do
    expect_body "\"$check\":\\{\"status\":\"Healthy\"" "/health json names $check"
done
pass "health: every dependency Healthy"

# The round trip front -> broker -> system worker -> PostgreSQL.
request GET "$BASE/api/system/info" -H 'X-Request-Id: skeleton-1'
expect_status 200 "system.info"
expect_body '"schemaVersion":[1-9]' "system.info schema version"
expect_header '^x-request-id: skeleton-1' "request id echoed"
request POST "$BASE/api/system/info" -H 'Content-Type: application/json' -d '{"probe":"héllo"}'
expect_status 200 "system.info POST"
expect_body '"probe":"héllo"' "probe echoed through msgpack"
pass "system.info round trip"

# Errors: problem+json with the right status.
request GET "$BASE/no/such/route"
expect_status 404 "unknown route"
expect_header 'content-type: application/problem\+json' "404 is problem+json"
expect_body '"status":404' "404 body"
expect_body '"traceId":"00-[0-9a-f]{32}-' "404 carries a traceId"
request DELETE "$BASE/api/system/info"
expect_status 405 "wrong method"
expect_header '^allow: GET, POST' "405 lists allowed methods"
request POST "$BASE/api/system/info" -H 'Content-Type: application/json' -d '{"probe": '
expect_status 400 "truncated JSON"
expect_body 'invalid JSON at byte [0-9]+' "400 names the problem"
request POST "$BASE/api/system/info" -H 'Content-Type: application/json' -d '{"probe":"a","probe":"b"}'
expect_status 400 "duplicate key"
expect_body 'duplicate' "400 names the duplicate"
request POST "$BASE/api/system/info" -H 'Content-Type: application/json' -d '{"probe":42}'
expect_status 400 "wrong field type"
expect_body '"errors":\{"probe":\[' "400 has an errors map"
request POST "$BASE/api/system/info" -H 'Content-Type: text/plain' -d 'hello'
expect_status 415 "wrong content type"
head -c 70000 /dev/zero | tr '\0' 'a' >"$E2E_TMP/big"
request POST "$BASE/api/system/info" -H 'Content-Type: application/json' --data-binary @"$E2E_TMP/big"
expect_status 413 "oversized body"
request POST "$BASE/api/system/info" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' -d '{}'
expect_status 411 "chunked body"
LONG=$(head -c 3000 /dev/zero | tr '\0' 'a')
request GET "$BASE/health?x=$LONG"
expect_status 414 "URL over the limit"
expect_header 'content-type: application/problem\+json' "414 is problem+json"
pass "404/405/400/411/413/414/415 problem+json"

# The server is still up and serving after all that.
request GET "$BASE/api/system/info"
expect_status 200 "still serving"

# Metrics: per-route counters and latency, the broker's and health's too.
wait_body "$BASE/metrics" 'wf_broker_requests_total [1-9]' 10
request GET "$BASE/metrics"
expect_body 'wf_http_requests_total\{route="/api/system/info",method="GET",status="200"\} [1-9]' "route counter"
expect_body 'wf_http_request_duration_seconds_bucket\{route="/api/system/info",le="' "latency histogram"
expect_body 'wf_health_check_up' "health metrics"
pass "metrics"

# One structured log line per request, with its request id.
grep -q 'event=request request_id=skeleton-1 .*method=GET path=/api/system/info .*status=200 duration_ms=' "$E2E_TMP/wf.log" \
    || grep -q 'request_id=skeleton-1.*status=200' "$E2E_TMP/wf.log" \
    || fail "no structured log line for request skeleton-1"
pass "structured request log"

# Graceful shutdown: SIGTERM -> exit 0.
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE after SIGTERM"
grep -q 'event=stopped' "$E2E_TMP/wf.log" || fail "no 'stopped' log line"
pass "graceful shutdown"
