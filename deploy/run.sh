#!/usr/bin/env bash
#  deploy/run.sh - build WalletFlow and run it on the local stack, in the foreground
#
#  Installs what is missing (deploy/deps.sh), builds build/ (RelWithDebInfo), starts the private
#  PostgreSQL, Redis and RabbitMQ under var/dev (deploy/stack.sh), exports their URLs
#  (WF_PG_URL, WF_REDIS_URL, WF_AMQP_URL) and runs build/actors/runtime/walletflow with any
#  arguments given here. The server answers on http://localhost:5000 (curl localhost:5000/health).
#
#  On exit or Ctrl-C the stack keeps running, so the next start is quick; `deploy/stack.sh stop`
#  stops it, or set WF_STOP_STACK=1 to stop it when the server exits.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
cd "$REPO_DIR"

"$REPO_DIR/deploy/deps.sh"

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
# The web page at / loads the SignalR browser client from tests/e2e's npm packages.
if [[ ! -f tests/e2e/node_modules/@microsoft/signalr/dist/browser/signalr.min.js ]]; then
    (cd tests/e2e && npm ci --no-audit --no-fund --silent) ||
        printf 'run: warning: npm ci in tests/e2e failed: the web page gets no live updates\n' >&2
fi

readonly SERVER="$REPO_DIR/build/actors/runtime/walletflow"
[[ -x "$SERVER" ]] || { printf 'run: error: %s was not built\n' "$SERVER" >&2; exit 1; }

"$REPO_DIR/deploy/stack.sh" start
eval "$("$REPO_DIR/deploy/stack.sh" env)"
printf 'run: stack logs under %s/log; the server on http://localhost:5000\n' "$WF_VAR_DIR"

if [[ "${WF_STOP_STACK:-0}" != 1 ]]; then
    exec "$SERVER" "$@"
fi

# WF_STOP_STACK=1: stay around to stop the stack once the server is gone. A signal for this
# script (Ctrl-C, kill) is passed on to the server as TERM; the stack's servers run in their own
# sessions and never see the Ctrl-C.
trap '"$REPO_DIR/deploy/stack.sh" stop' EXIT
"$SERVER" "$@" &
server_pid=$!
trap 'kill -TERM "$server_pid" 2>/dev/null || true' INT TERM HUP
status=0
while :; do
    wait "$server_pid" && status=0 || status=$?
    kill -0 "$server_pid" 2>/dev/null || break
done
exit "$status"
