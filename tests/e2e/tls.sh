#!/usr/bin/env bash
# tls.sh - the front serves HTTPS and WSS (issue 9): a self-signed pair made
# with the openssl CLI; register, login, deposit and a SignalR WebSocket over
# TLS (tls.mjs); security headers including HSTS; plain HTTP on the TLS port
# gets no answer; a missing key file stops the start with a clear error.
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
command -v openssl >/dev/null || { echo "skip: no openssl CLI"; exit 77; }
if [ ! -d "$HERE/node_modules/@microsoft/signalr" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/e2e failed"
fi

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$E2E_TMP/key.pem" -out "$E2E_TMP/cert.pem" 2>"$E2E_TMP/openssl.log" ||
    fail "openssl could not make the pair: $(cat "$E2E_TMP/openssl.log")"

PORT=$(free_port)
BASE="https://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-tls-secret-0123456789abcdef0123456789ab}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --argon2-ops 1 --argon2-mem-kib 8192 --tls-cert "$E2E_TMP/cert.pem" --tls-key "$E2E_TMP/key.pem"
end=$((SECONDS + 20))
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$E2E_TMP/cert.pem" "$BASE/health/ready")" = 200 ]; do
    [ $SECONDS -lt $end ] || fail "$BASE/health/ready never answered 200 over TLS"
    sleep 0.1
done
pass "HTTPS with a certificate the client verifies"

request GET "$BASE/health/live" --cacert "$E2E_TMP/cert.pem"
expect_status 200 "health over TLS"
expect_header '^strict-transport-security: max-age=[0-9]+' "HSTS when serving TLS"
expect_header '^x-content-type-options: nosniff' "nosniff"
expect_header '^x-frame-options: DENY' "x-frame-options"
expect_header '^referrer-policy: no-referrer' "referrer-policy"
pass "security headers and HSTS over TLS"

# The negotiated protocol is HTTP/1.1 (the front speaks no h2).
proto=$(curl -s -o /dev/null -w '%{http_version}' --http2 --cacert "$E2E_TMP/cert.pem" "$BASE/health/live")
[ "$proto" = "1.1" ] || fail "ALPN negotiated HTTP/$proto, expected 1.1"
pass "ALPN: http/1.1"

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$PORT/health/live" || true)
[ "$code" = 000 ] || fail "plain HTTP on the TLS port answered $code"
pass "plain HTTP on the TLS port gets no answer"

NODE_EXTRA_CA_CERTS="$E2E_TMP/cert.pem" HUB_WAIT_MS=30000 timeout 90 node "$HERE/tls.mjs" "$BASE" ||
    fail "tls.mjs"
kill -0 "$wf_PID" 2>/dev/null || fail "walletflow died"
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
grep -q "ERROR: AddressSanitizer\|runtime error:" "$E2E_TMP/wf.log" && fail "sanitizer report in the log"

# A key file that does not exist: the front refuses to start (exit non-zero).
set +e
timeout 20 "$WALLETFLOW" --actors broker,front --http-port 0 --http-interface 127.0.0.1 \
    --tls-cert "$E2E_TMP/cert.pem" --tls-key "$E2E_TMP/missing.pem" >"$E2E_TMP/badkey.out" 2>&1
status=$?
set -e
[ "$status" != 0 ] && [ "$status" != 124 ] || fail "started with a missing key file ($status)"
pass "a missing key file stops the start (exit $status)"
pass "TLS"
