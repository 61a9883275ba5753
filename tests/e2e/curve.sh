#!/usr/bin/env bash
# curve.sh - CURVE on the broker's tcp endpoint: keys made by `walletflow
# keygen`; a worker whose key is in --curve-allowed registers and serves; a
# worker with an unknown key, or without CURVE, never registers (its service
# stays unavailable); `walletflow check-broker` probes through CURVE; and the
# captured tcp bytes never carry the plain MDP protocol name.
source "$(dirname "$0")/lib.sh"

KEYS="$E2E_TMP/keys"
mkdir -p "$KEYS/allowed"
"$WALLETFLOW" keygen "$KEYS" broker >/dev/null || fail "keygen broker"
"$WALLETFLOW" keygen "$KEYS" worker >/dev/null || fail "keygen worker"
"$WALLETFLOW" keygen "$KEYS" stranger >/dev/null || fail "keygen stranger"
[ -f "$KEYS/broker.cert" ] && [ -f "$KEYS/broker.cert_secret" ] || fail "keygen wrote no pair"
[ "$(stat -c %a "$KEYS/broker.cert_secret")" = 600 ] || fail "secret certificate is not 0600"
cp "$KEYS/worker.cert" "$KEYS/allowed/"
pass "keygen writes a certificate pair"

HTTP=$(free_port)
BROKER=$(free_port)
BASE="http://127.0.0.1:$HTTP"
CURVE_CLIENT=(--curve-server-key "$KEYS/broker.cert")
start_walletflow front --actors broker,front,health --http-port "$HTTP" --http-interface 127.0.0.1 \
    --broker-bind "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200 \
    --curve-server-cert "$KEYS/broker.cert_secret" --curve-allowed "$KEYS/allowed"
wait_http "$BASE/health/live" 200 20

# An unknown key: the broker's zauth refuses the handshake, the worker never registers.
start_walletflow stranger --actors system --broker "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200 \
    --curve-client-cert "$KEYS/stranger.cert_secret" "${CURVE_CLIENT[@]}"
# No CURVE at all: refused too.
start_walletflow plain --actors system --broker "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200
sleep 2
request GET "$BASE/api/system/info"
expect_status 503 "workers with an unknown key or no key are not registered"
set +e
"$WALLETFLOW" check-broker system --broker "tcp://127.0.0.1:$BROKER" --request-timeout-ms 1500 \
    --curve-client-cert "$KEYS/stranger.cert_secret" "${CURVE_CLIENT[@]}" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "check-broker with an unknown key: expected no answer (1), got $rc"
pass "unknown and plain workers never register; an unknown client gets no answer"

# The allowed key registers and serves.
start_walletflow worker --actors system --broker "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200 \
    --curve-client-cert "$KEYS/worker.cert_secret" "${CURVE_CLIENT[@]}"
wait_http "$BASE/api/system/info" 200 20
request GET "$BASE/api/system/info"
expect_body "\"worker\":\"[^\"]*:$worker_PID\"" "served by the allowed worker"
"$WALLETFLOW" check-broker system --broker "tcp://127.0.0.1:$BROKER" --request-timeout-ms 3000 \
    --curve-client-cert "$KEYS/worker.cert_secret" \
    --curve-server-key "$(grep public-key "$KEYS/broker.cert" | cut -d'"' -f2)" \
    >/dev/null || fail "check-broker (Z85 key text) through CURVE"
pass "allowed worker serves; check-broker answers through CURVE"

# Still not the stranger: stop the allowed worker, the service is unavailable again.
stop_process "$worker_PID" 15
sleep 1.5
request GET "$BASE/api/system/info"
expect_status 503 "only the allowed worker had registered"
pass "after the allowed worker stops, nothing serves"

# Bad configuration is a clear error at start.
set +e
"$WALLETFLOW" --actors system --broker "tcp://127.0.0.1:$BROKER" --pg-url "$WF_PG_URL" \
    --curve-client-cert "$KEYS/worker.cert_secret" >"$E2E_TMP/err" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "curve-server-key" "$E2E_TMP/err" || fail "half a CURVE configuration: rc $rc"
pass "half a CURVE configuration is refused"

# On the wire: tshark (deploy/deps.sh installs it) or tcpdump captures the
# bytes between worker and broker: a CURVE greeting, and never the plain
# protocol name MDPW01 (CURVE encrypts every frame).
capture() {
    if command -v tshark >/dev/null 2>&1; then
        tshark -q -i lo -f "tcp port $BROKER" -w "$E2E_TMP/wire.pcap" >"$E2E_TMP/dump.out" 2>&1 &
    else
        tcpdump -i lo -w "$E2E_TMP/wire.pcap" -U "tcp port $BROKER" >"$E2E_TMP/dump.out" 2>&1 &
    fi
    DUMP=$!
    E2E_PIDS+=("$DUMP")
    for _ in $(seq 50); do grep -qi "capturing\|listening" "$E2E_TMP/dump.out" && break; sleep 0.1; done
}
if command -v tshark >/dev/null 2>&1 || command -v tcpdump >/dev/null 2>&1; then
    capture
    start_walletflow worker2 --actors system --broker "tcp://127.0.0.1:$BROKER" --heartbeat-ms 200 \
        --curve-client-cert "$KEYS/worker.cert_secret" "${CURVE_CLIENT[@]}"
    wait_http "$BASE/api/system/info" 200 20
    request GET "$BASE/api/system/info"
    sleep 0.5
    kill -INT "$DUMP"; wait "$DUMP" 2>/dev/null || true
    grep -qa CURVE "$E2E_TMP/wire.pcap" || fail "no CURVE greeting captured"
    ! grep -qa MDPW01 "$E2E_TMP/wire.pcap" || fail "plain MDP frames on the wire"
    ! grep -qa system.info "$E2E_TMP/wire.pcap" || fail "a plain message type on the wire"
    pass "captured traffic: CURVE greeting, no plain MDP frames or message types"
else
    fail "neither tshark nor tcpdump is installed (deploy/deps.sh installs tshark)"
fi
