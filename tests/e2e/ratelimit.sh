#!/usr/bin/env bash
# ratelimit.sh - token-bucket rate limits (issue 9, part 4) through two front
# processes sharing one Redis bucket (ratelimit.mjs): process A runs every
# actor, process B only a front on A's broker. A private Redis on a free port
# is stopped (SIGSTOP: a hung Redis, the hardest case: every call waits out its bound) to
# show the per-process fallback (logged, counted in /metrics), then resumed.
# Also: CORS for a configured origin, and the limit's metrics.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
command -v redis-server >/dev/null || { echo "skip: no redis-server"; exit 77; }

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$E2E_TMP" --save '' --appendonly no \
    --daemonize yes --pidfile "$E2E_TMP/redis.pid" --logfile "$E2E_TMP/redis.log"
for _ in $(seq 50); do [ -s "$E2E_TMP/redis.pid" ] && redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
REDIS_PID=$(cat "$E2E_TMP/redis.pid")
E2E_PIDS+=("$REDIS_PID")
redis_cont() { kill -CONT "$REDIS_PID" 2>/dev/null || true; }
trap 'redis_cont; e2e_cleanup' EXIT

HTTP_A=$(free_port)
HTTP_B=$(free_port)
BROKER=$(free_port)
A="http://127.0.0.1:$HTTP_A"
B="http://127.0.0.1:$HTTP_B"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-ratelimit-secret-0123456789abcdef012345}
# Small limits that refill too slowly to matter during the test.
LIMITS=(--redis-url "redis://127.0.0.1:$REDIS_PORT" --rate-limit-prefix "wf:rl:e2e:$$:"
        --rate-auth-address-burst 4 --rate-auth-address-per-min 1
        --rate-money-user-burst 6 --rate-money-user-per-min 1
        --rate-limit-timeout-ms 500) # generous: the shared phases must not fall back on a busy machine
start_walletflow a --http-port "$HTTP_A" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --broker-bind "tcp://127.0.0.1:$BROKER" --argon2-ops 1 --argon2-mem-kib 8192 \
    --cors-origins "https://app.example, https://other.example" "${LIMITS[@]}"
start_walletflow b --actors front --broker "tcp://127.0.0.1:$BROKER" --http-port "$HTTP_B" \
    --http-interface 127.0.0.1 --heartbeat-ms 200 "${LIMITS[@]}"
wait_http "$A/health/ready" 200 20
wait_http "$B/health/live" 200 20

# CORS: a configured origin gets its preflight and its allow-origin header;
# another origin gets 403 problem+json and no allow-origin.
request OPTIONS "$A/api/accounts" -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: POST' \
    -H 'Access-Control-Request-Headers: authorization, content-type'
expect_status 204 "preflight from a configured origin"
expect_header '^access-control-allow-origin: https://app.example' "allow-origin echoes the origin"
expect_header '^access-control-allow-methods: .*POST' "allowed methods"
expect_header '^access-control-allow-headers: .*authorization' "allowed headers"
request OPTIONS "$A/api/accounts" -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST'
expect_status 403 "preflight from another origin"
expect_header '^content-type: application/problem\+json' "403 is problem+json"
grep -qi '^access-control-allow-origin' <<<"$HEADERS" && fail "allow-origin for an unlisted origin"
request GET "$A/health/live" -H 'Origin: https://other.example'
expect_header '^access-control-allow-origin: https://other.example' "simple request from a configured origin"
expect_header '^vary: Origin' "Vary: Origin"
request GET "$B/health/live" -H 'Origin: https://app.example'
grep -qi '^access-control-allow-origin' <<<"$HEADERS" && fail "CORS must be off without --cors-origins"
pass "CORS: configured origins only, off by default"

timeout 60 node "$HERE/ratelimit.mjs" shared "$A" "$B" "$E2E_TMP/state.json" || fail "shared phase"
# The limiter's counters reach /metrics with the bridge's push (once a second).
wait_body "$A/metrics" '^wf_ratelimit_decisions_total\{class="money",result="limited",scope="user"\} [1-9]' 10
pass "shared buckets across two front processes"

kill -STOP "$REDIS_PID"
timeout 60 node "$HERE/ratelimit.mjs" fallback "$A" "$B" "$E2E_TMP/state.json" || fail "fallback phase"
for p in a b; do
    grep -q 'event=ratelimit_redis_down.*fallback=in_process' "$E2E_TMP/$p.log" || fail "front $p logged no ratelimit_redis_down"
done
wait_body "$A/metrics" '^wf_ratelimit_fallback_total [1-9]' 10
wait_body "$A/metrics" '^wf_ratelimit_redis_up 0' 10
# Meanwhile the HTTP thread never waits for Redis: health answers at once.
request GET "$A/health/live"
expect_status 200 "health while Redis is stopped"
pass "Redis stopped: per-process buckets, logged and counted"

redis_cont
# The limiter retries Redis after its back-off (WF_RATELIMIT_BACKOFF_MS_MAX,
# 2 s at most): let it pass, then the fronts share the buckets again.
sleep 2.5
timeout 60 node "$HERE/ratelimit.mjs" recovered "$A" "$B" "$E2E_TMP/state.json" || fail "recovered phase"
for p in a b; do
    grep -q 'event=ratelimit_redis_up' "$E2E_TMP/$p.log" || fail "front $p logged no ratelimit_redis_up"
done
wait_body "$A/metrics" '^wf_ratelimit_redis_up 1' 10
pass "Redis back: shared again"

stop_process "$b_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "front b exited $EXIT_CODE"
stop_process "$a_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow a exited $EXIT_CODE"
grep -q "ERROR: AddressSanitizer\|runtime error:" "$E2E_TMP"/a.log "$E2E_TMP"/b.log && fail "sanitizer report in a log"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit"; }
pass "rate limits"
