#!/usr/bin/env bash
# authz.sh - the authorization matrix (authz.mjs) against one walletflow,
# then the audit: no refused request may have moved money.
source "$(dirname "$0")/lib.sh"
: "${JWT_TOOL:?JWT_TOOL must name wf_jwt_tool}"
HERE=$(cd "$(dirname "$0")" && pwd)

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-authz-secret-0123456789abcdef0123456789ab}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --argon2-ops 1 --argon2-mem-kib 8192
wait_http "$BASE/health/ready" 200 20
JWT_TOOL="$JWT_TOOL" timeout 55 node "$HERE/authz.mjs" "$BASE" || fail "authz.mjs"
kill -0 "$wf_PID" 2>/dev/null || fail "walletflow died during the matrix"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit"; }
pass "audit: every invariant holds"
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
pass "authorization matrix"
