#!/usr/bin/env bash
#  deploy/chaos.sh - fault injection under a money load, longer than the test suite's run
#
#  Usage: deploy/chaos.sh [ROUNDS]          (default 20)
#
#  Builds build/ (RelWithDebInfo; WF_CHAOS_BUILD=build-asan uses the sanitizer build instead),
#  starts a private stack under var/chaos on its own ports (deploy/test.sh's ports + 10, shifted
#  like them by WF_TEST_PORT_OFFSET), runs tests/e2e/chaos.sh with ROUNDS kill -9 rounds,
#  PostgreSQL stopped for 5 s, Redis stopped, RabbitMQ stopped for 5 s, and ROUNDS/4 (at least 2)
#  account-worker kills and as many 3 s stalls (SIGSTOP), then stops the stack, pass or fail.
#  The last lines are the table: fault, rounds, commands acknowledged, lost, duplicated, applied
#  unacknowledged; the exit status is non-zero when anything was lost, duplicated or the audit
#  failed. CHAOS_FAULTS picks phases (kill9 postgres redis rabbitmq worker).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
cd "$REPO_DIR"

readonly ROUNDS="${1:-20}"
[[ "$ROUNDS" =~ ^[1-9][0-9]{0,3}$ ]] || { printf 'usage: deploy/chaos.sh [ROUNDS]\n' >&2; exit 2; }
readonly BUILD_DIR="${WF_CHAOS_BUILD:-build}"

# Its own stack: the chaos stops and starts these servers, never those of deploy/test.sh or run.sh.
readonly PORT_OFFSET="${WF_TEST_PORT_OFFSET:-0}"
export WF_VAR_DIR="$REPO_DIR/var/chaos"
export WF_PG_PORT=$((55452 + PORT_OFFSET))
export WF_REDIS_PORT=$((56399 + PORT_OFFSET))
export WF_AMQP_PORT=$((55692 + PORT_OFFSET))
export WF_EPMD_PORT=$((54389 + PORT_OFFSET))
export WF_AMQP_DIST_PORT=$((55693 + PORT_OFFSET))

# One run at a time per checkout: two would share var/chaos and its ports.
mkdir -p "$REPO_DIR/var"
exec 8>"$REPO_DIR/var/.chaos-lock"
flock -n 8 || { printf 'chaos: another deploy/chaos.sh runs in %s\n' "$REPO_DIR" >&2; exit 1; }

"$REPO_DIR/deploy/deps.sh"
if [[ "$BUILD_DIR" == build-asan ]]; then
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWF_SANITIZE=ON
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target walletflow
export WALLETFLOW="$REPO_DIR/$BUILD_DIR/actors/runtime/walletflow"

trap '"$REPO_DIR/deploy/stack.sh" stop 8>&- || true' EXIT
"$REPO_DIR/deploy/stack.sh" start 8>&-
eval "$("$REPO_DIR/deploy/stack.sh" env)"
worker_rounds=$((ROUNDS / 4))
((worker_rounds >= 2)) || worker_rounds=2
CHAOS_KILL_ROUNDS="$ROUNDS" CHAOS_WORKER_ROUNDS="$worker_rounds" CHAOS_STALL_ROUNDS="$worker_rounds" \
    bash "$REPO_DIR/tests/e2e/chaos.sh" 8>&-
