#!/usr/bin/env bash
# web.sh - the web page at / in headless Chromium (web.mjs): two browser contexts,
# a transfer from one, the other's balance changing live. Needs Debian's chromium
# (deploy/deps.sh installs it) and playwright-core from tests/e2e's package.json.
# Screenshots land in WEB_OUT (ctest sets it to the build's tests/e2e/web-output).
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$HERE/node_modules/playwright-core" ] || [ ! -d "$HERE/node_modules/@microsoft/signalr" ]; then
    (cd "$HERE" && npm ci --no-audit --no-fund --silent) || fail "npm ci in tests/e2e failed"
fi
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || fail "$CHROMIUM is missing: deploy/deps.sh installs Debian's chromium"
OUT=${WEB_OUT:-$PWD/web-output}

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-web-secret-0123456789abcdef0123456789ab}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --heartbeat-ms 200 \
    --argon2-ops 1 --argon2-mem-kib 8192 \
    --web-client-js "$HERE/node_modules/@microsoft/signalr/dist/browser/signalr.min.js"
wait_http "$BASE/health/ready" 200 20

# The static files: a fixed list with their types; nothing else is served.
request GET "$BASE/"
expect_status 200 "the page"
expect_header '^content-type: text/html; charset=utf-8' "the page's type"
expect_header "^content-security-policy: default-src 'none'; script-src 'self'" "the page's CSP"
expect_header '^x-content-type-options: nosniff' "nosniff"
request GET "$BASE/signalr.min.js"
expect_status 200 "the SignalR client"
expect_header '^content-type: text/javascript' "the client's type"
for path in /index.html /app.js/ /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /web/app.js; do
    request GET "$BASE$path" --path-as-is
    expect_status 404 "$path"
done
request POST "$BASE/app.js" -H 'content-length: 0'
expect_status 405 "POST to a file"
pass "static files: types, CSP, nosniff; other paths 404"

CHROMIUM="$CHROMIUM" timeout 120 node "$HERE/web.mjs" "$BASE" "$OUT" || fail "web.mjs"
for shot in web-receiver.png web-sender.png; do
    [ -s "$OUT/$shot" ] || fail "no $shot in $OUT"
done
stop_process "$wf_PID" 15
[ "$EXIT_CODE" = 0 ] || fail "walletflow exited $EXIT_CODE"
pass "graceful stop"
