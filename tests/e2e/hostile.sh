#!/usr/bin/env bash
# hostile.sh - the hostile-input table (hostile.mjs) against one walletflow,
# then the audit: nothing a hostile request did may break an invariant.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-hostile-secret-0123456789abcdef0123456789}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --argon2-ops 1 --argon2-mem-kib 8192
wait_http "$BASE/health/ready" 200 20
timeout 100 node "$HERE/hostile.mjs" "$BASE" || fail "hostile.mjs"
kill -0 "$wf_PID" 2>/dev/null || fail "walletflow died during the table"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit"; }
pass "audit: every invariant holds"
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
grep -q "ERROR: AddressSanitizer\|runtime error:" "$E2E_TMP/wf.log" && fail "sanitizer report in the log"
pass "hostile table"
