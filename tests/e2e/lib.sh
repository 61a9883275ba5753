# lib.sh - shared helpers for the end-to-end tests (sourced, bash).
#
# Each test starts its own walletflow processes on free ports against the
# stack named by WF_PG_URL / WF_REDIS_URL / WF_AMQP_URL (deploy/test.sh sets
# them) and stops them on exit. Every wait is bounded.

set -euo pipefail

: "${WALLETFLOW:?WALLETFLOW must name the walletflow binary}"
: "${WF_PG_URL:?WF_PG_URL is not set: run through deploy/test.sh}"

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wf-e2e.XXXXXX")
# Every test gets its own rate-limit buckets in the shared Redis (all tests
# come from 127.0.0.1: one test's burst must not throttle the next).
export WF_RATE_LIMIT_PREFIX=${WF_RATE_LIMIT_PREFIX:-wf:rl:e2e:$$:}
E2E_PIDS=()
declare -A E2E_LOGS=()   # pid -> log of each process start_walletflow started
# What a sanitizer writes when it finds something (ASan, LSan, UBSan).
E2E_SANITIZER_PATTERN='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: [A-Za-z]*Sanitizer'
# How long the exit path waits for processes still running to stop after SIGTERM.
E2E_STOP_SECONDS=${E2E_STOP_SECONDS:-20}

# sanitizer_reports: prints every sanitizer report in the logs of the processes this test
# started, and returns 1 when there was one. Under build-asan (ASAN_OPTIONS=detect_leaks=1)
# a process that exits normally runs LeakSanitizer, whose report lands in its log.
sanitizer_reports() {
    local log found=0
    for log in "${E2E_LOGS[@]}"; do
        [ -f "$log" ] || continue
        if grep -qE -- "$E2E_SANITIZER_PATTERN" "$log"; then
            found=1
            echo "--- sanitizer report in $log" >&2
            awk -v pattern="$E2E_SANITIZER_PATTERN" 'shown || $0 ~ pattern { shown = 1; print }' \
                "$log" | head -n 120 >&2
        fi
    done
    return "$found"
}

# On exit, processes still running get SIGTERM and a bounded time to stop, so that they exit
# normally and LeakSanitizer checks them (kill -9 would skip it); only one that does not stop
# in time is killed. Then any sanitizer report in any process's log fails the test.
e2e_cleanup() {
    local status=$? pid live=()
    for pid in "${E2E_PIDS[@]:-}"; do
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && live+=("$pid")
    done
    local end=$((SECONDS + E2E_STOP_SECONDS))
    for pid in "${live[@]:-}"; do
        [ -n "$pid" ] || continue
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "warning: process $pid did not stop within ${E2E_STOP_SECONDS}s of SIGTERM;" \
                 "killed (no leak check for it)" >&2
            kill -9 "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if ! sanitizer_reports; then
        echo "FAIL: a sanitizer reported an error or a leak (above)" >&2
        status=1
    fi
    rm -rf "$E2E_TMP"
    exit "$status"
}
trap e2e_cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for log in "$E2E_TMP"/*.log; do
        [ -f "$log" ] && { echo "--- $log (tail)" >&2; tail -n 30 "$log" >&2; }
    done
    exit 1
}

pass() { echo "ok - $*"; }

# free_port: prints a TCP port nobody listens on now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_walletflow NAME ARGS...: starts a process logging to $E2E_TMP/NAME.log,
# records its pid in the variable NAME_PID.
start_walletflow() {
    local name=$1; shift
    "$WALLETFLOW" "$@" >"$E2E_TMP/$name.log" 2>&1 &
    local pid=$!
    E2E_PIDS+=("$pid")
    E2E_LOGS[$pid]="$E2E_TMP/$name.log"
    printf -v "${name}_PID" '%s' "$pid"
}

# wait_http URL EXPECTED_STATUS [SECONDS]: polls until URL answers the status.
wait_http() {
    local url=$1 want=$2 seconds=${3:-20} got
    local end=$((SECONDS + seconds))
    while [ $SECONDS -lt $end ]; do
        got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        [ "$got" = "$want" ] && return 0
        sleep 0.1
    done
    fail "$url did not answer $want within ${seconds}s (last: $got)"
}

# wait_body URL PATTERN [SECONDS] [CURL ARGS...]: polls until the body matches.
wait_body() {
    local url=$1 pattern=$2 seconds=${3:-20}; shift 3 || shift $#
    local end=$((SECONDS + seconds)) body=""
    while [ $SECONDS -lt $end ]; do
        body=$(curl -s --max-time 2 "$@" "$url" || true)
        if grep -qE -- "$pattern" <<<"$body"; then return 0; fi
        sleep 0.1
    done
    fail "$url never matched /$pattern/ within ${seconds}s (last body: ${body:0:300})"
}

# request METHOD URL [CURL ARGS...]: sets STATUS, BODY, HEADERS.
request() {
    local method=$1 url=$2; shift 2
    local out="$E2E_TMP/body" hdr="$E2E_TMP/headers"
    STATUS=$(curl -s -X "$method" -o "$out" -D "$hdr" -w '%{http_code}' --max-time 10 "$@" "$url" || echo 000)
    BODY=$(cat "$out" 2>/dev/null || true)
    HEADERS=$(cat "$hdr" 2>/dev/null || true)
}

expect_status() {
    [ "$STATUS" = "$1" ] || fail "$2: expected HTTP $1, got $STATUS (body: ${BODY:0:300})"
}

expect_body() {
    grep -qE -- "$1" <<<"$BODY" || fail "$2: body does not match /$1/ (body: ${BODY:0:300})"
}

expect_header() {
    grep -qiE -- "$1" <<<"$HEADERS" || fail "$2: headers do not match /$1/ (headers: ${HEADERS:0:400})"
}

# stop_process PID SECONDS: SIGTERM, then waits for a clean exit; sets EXIT_CODE.
stop_process() {
    local pid=$1 seconds=${2:-15}
    kill -TERM "$pid"
    local end=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then fail "process $pid did not stop within ${seconds}s"; fi
    set +e; wait "$pid"; EXIT_CODE=$?; set -e
    # A clean exit ran LeakSanitizer (under build-asan): its report, if any, fails the test here.
    local log=${E2E_LOGS[$pid]:-}
    if [ -n "$log" ] && grep -qE -- "$E2E_SANITIZER_PATTERN" "$log"; then
        fail "process $pid: a sanitizer reported an error or a leak (exit $EXIT_CODE)"
    fi
}
