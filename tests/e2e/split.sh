#!/usr/bin/env bash
# split.sh - the broker and a worker run as two separate processes over tcp on
# loopback and serve the same request; the worker re-registers after the
# broker process restarts.
source "$(dirname "$0")/lib.sh"

HTTP=$(free_port)
BROKER=$(free_port)
METRICS=$(free_port)
BASE="http://127.0.0.1:$HTTP"
start_walletflow front --actors broker,front,health --http-port "$HTTP" --http-interface 127.0.0.1 \
    --broker-bind "tcp://127.0.0.1:$BROKER" --metrics-endpoint "tcp://127.0.0.1:$METRICS" \
    --heartbeat-ms 200
start_walletflow worker --actors system --broker "tcp://127.0.0.1:$BROKER" \
    --metrics-endpoint "tcp://127.0.0.1:$METRICS" --heartbeat-ms 200
wait_http "$BASE/api/system/info" 200 20
request GET "$BASE/api/system/info"
expect_body "\"worker\":\"[^\"]*:$worker_PID\"" "served by the worker process"
pass "front+broker process and worker process over tcp"

# Without the worker: 503 (unavailable) once the broker dropped it.
stop_process "$worker_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "worker exited $EXIT_CODE"
request GET "$BASE/api/system/info"
expect_status 503 "no worker"
expect_header 'content-type: application/problem\+json' "503 is problem+json"
pass "no worker -> 503"

# A new worker registers and serves again.
start_walletflow worker2 --actors system --broker "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200
wait_http "$BASE/api/system/info" 200 20
pass "worker comes back"

# Restart the broker process: the worker reconnects by itself.
stop_process "$front_PID" 15
start_walletflow front2 --actors broker,front,health --http-port "$HTTP" --http-interface 127.0.0.1 \
    --broker-bind "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200
wait_http "$BASE/api/system/info" 200 20
request GET "$BASE/api/system/info"
expect_body "\"worker\":\"[^\"]*:$worker2_PID\"" "served by the same worker after broker restart"
pass "worker survives a broker restart"
