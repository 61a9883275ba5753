#!/usr/bin/env bash
# hub_session.sh - the hub's session guarantees end to end (hub_session.mjs, the
# official SignalR clients): stateful reconnect across a cut TCP connection,
# resync past the replay buffer, and logout or refresh-token reuse closing the
# user's connections within a second, and a reconnect after the window refused.
# One walletflow with every actor, a small replay buffer, the shortest reconnect
# window and no refresh-reuse grace.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$HERE/node_modules/@microsoft/signalr-protocol-msgpack" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/e2e failed"
fi

REPLAY_MAX=8
WINDOW_MS=15000 # the shortest --hub-reconnect-window-ms (WF_HUB_NEGOTIATE_TTL_S)
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-hub-session-secret-0123456789abcdef0123}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --argon2-ops 1 --argon2-mem-kib 8192 --hub-replay-messages-max "$REPLAY_MAX" \
    --hub-reconnect-window-ms "$WINDOW_MS" --refresh-reuse-grace-ms 0
wait_http "$BASE/health/ready" 200 20
timeout 50 node "$HERE/hub_session.mjs" "$BASE" "$REPLAY_MAX" "$WINDOW_MS" || fail "hub_session.mjs"
grep -q 'event=hub_reconnected .*resync=false' "$E2E_TMP/wf.log" || fail "no hub_reconnected log line"
grep -q 'event=hub_sessions_revoked' "$E2E_TMP/wf.log" || fail "no hub_sessions_revoked log line"
grep -q 'event=hub_reconnect_expired' "$E2E_TMP/wf.log" || fail "no hub_reconnect_expired log line"
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
pass "graceful stop"
