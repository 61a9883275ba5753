#!/usr/bin/env bash
#  deploy/test.sh - build everything and run the whole test suite against a private stack
#
#  Usage: deploy/test.sh [ctest arguments...]        e.g. deploy/test.sh -R broker
#
#  1. deploy/deps.sh (installs only what is missing)
#  2. builds build/ (RelWithDebInfo), build-asan/ (-DWF_SANITIZE=ON: ASan+UBSan) and, when clang
#     is installed, build-fuzz/ (clang, -DWF_FUZZ=ON)
#  3. starts a test stack under var/test on its own ports (so a running deploy/run.sh is never
#     touched) and exports WF_PG_URL, WF_REDIS_URL, WF_AMQP_URL and friends
#  4. installs the Node clients of tests/e2e when it has a package.json
#  5. runs ctest in each build folder, ASan's with leak detection on
#  The test stack is stopped on exit, pass or fail. A summary ends the output; the exit status is
#  non-zero if any step failed. CI=true turns colours off. WF_TEST_PORT_OFFSET (default 0) shifts the stack's ports. WF_TEST_TIMEOUT_S (default 300) caps
#  each test that sets no TIMEOUT of its own.
# Steps are functions called through s_step and the EXIT trap, which shellcheck cannot follow.
# shellcheck disable=SC2317
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
cd "$REPO_DIR"

# The test stack: its own folder and ports, whatever the caller's WF_* environment says. Two
# checkouts (e.g. git worktrees) on one machine pick different ports with WF_TEST_PORT_OFFSET.
readonly PORT_OFFSET="${WF_TEST_PORT_OFFSET:-0}"
export WF_VAR_DIR="$REPO_DIR/var/test"
export WF_PG_PORT=$((55442 + PORT_OFFSET))
export WF_REDIS_PORT=$((56389 + PORT_OFFSET))
export WF_AMQP_PORT=$((55682 + PORT_OFFSET))
export WF_EPMD_PORT=$((54379 + PORT_OFFSET))
export WF_AMQP_DIST_PORT=$((55683 + PORT_OFFSET))

JOBS="$(nproc)"
readonly JOBS
readonly TEST_TIMEOUT_S="${WF_TEST_TIMEOUT_S:-300}"
readonly SANITIZER_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
                        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

if [[ "${CI:-}" == true || -n "${NO_COLOR:-}" || ! -t 1 ]]; then
    BOLD="" RED="" GREEN="" RESET=""
else
    BOLD=$'\e[1m' RED=$'\e[31m' GREEN=$'\e[32m' RESET=$'\e[0m'
fi

RESULTS=()
FAILED=0
STACK_STARTED=0
START_S=$SECONDS

s_banner () {
    printf '\n%s== %s%s\n' "$BOLD" "$*" "$RESET"
}

# Runs one step, records PASS or FAIL with its duration, and returns the step's status. Steps
# run without fd 8 (this script's lock), so nothing they leave behind can hold it.
s_step () {
    local name="$1" started=$SECONDS status=0
    shift
    s_banner "$name"
    "$@" 8>&- || status=$?
    if (( status == 0 )); then
        RESULTS+=("${GREEN}PASS${RESET}  $name ($((SECONDS - started)) s)")
    else
        RESULTS+=("${RED}FAIL${RESET}  $name (exit $status, $((SECONDS - started)) s)")
        FAILED=1
    fi
    return "$status"
}

s_skip () {
    RESULTS+=("skip  $1")
}

# Configures and builds one build folder; extra arguments go to the configure step.
s_build () {
    local dir="$1"
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" &&
        cmake --build "$dir" -j"$JOBS"
}

s_build_fuzz () {
    CC=clang s_build build-fuzz -DWF_FUZZ=ON
}

s_ctest () {
    local dir="$1"
    shift
    ctest --test-dir "$dir" --output-on-failure --timeout "$TEST_TIMEOUT_S" "$@"
}

s_ctest_sanitized () {
    env "${SANITIZER_ENV[@]}" ctest --test-dir "$1" --output-on-failure \
        --timeout "$TEST_TIMEOUT_S" "${@:2}"
}

s_npm_install () {
    if [[ -f tests/e2e/package-lock.json ]]; then
        (cd tests/e2e && npm ci --no-audit --no-fund)
    else
        (cd tests/e2e && npm install --no-audit --no-fund)
    fi
}

s_stack_start () {
    deploy/stack.sh start
}

# Stops the test stack and prints the summary, however the script ends.
s_finish () {
    local status=$?
    trap - EXIT INT TERM
    if (( STACK_STARTED )); then
        s_banner "stop test stack"
        deploy/stack.sh stop 8>&- || FAILED=1
    fi
    (( status == 0 )) || FAILED=1
    s_banner "summary ($((SECONDS - START_S)) s)"
    local line
    for line in "${RESULTS[@]}"; do
        printf '  %s\n' "$line"
    done
    if (( FAILED )); then
        printf '%s%sFAILED%s  logs of the test stack: %s/log\n' "$BOLD" "$RED" "$RESET" "$WF_VAR_DIR"
        exit 1
    fi
    printf '%s%sALL PASSED%s\n' "$BOLD" "$GREEN" "$RESET"
    exit 0
}

main () {
    # One run at a time per checkout: two would share var/test, its ports and the build folders.
    mkdir -p "$REPO_DIR/var"
    exec 8>"$REPO_DIR/var/.test-lock"
    if ! flock -n 8; then
        printf 'test: waiting for another deploy/test.sh in %s\n' "$REPO_DIR"
        flock 8
    fi

    trap s_finish EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    if ! s_step "deps" deploy/deps.sh; then
        exit 1
    fi

    BUILDS=(build build-asan)
    BUILT=()
    if s_step "build build/ (RelWithDebInfo)" s_build build; then BUILT+=(build); fi
    if s_step "build build-asan/ (ASan+UBSan)" s_build build-asan -DWF_SANITIZE=ON; then
        BUILT+=(build-asan)
    fi
    if command -v clang >/dev/null 2>&1; then
        BUILDS+=(build-fuzz)
        if s_step "build build-fuzz/ (clang, libFuzzer)" s_build_fuzz; then BUILT+=(build-fuzz); fi
    else
        s_skip "build-fuzz/ (no clang)"
    fi

    STACK_STARTED=1
    if ! s_step "start test stack ($WF_VAR_DIR)" s_stack_start; then
        exit 1
    fi
    eval "$(deploy/stack.sh env)"

    if [[ -f tests/e2e/package.json ]]; then
        s_step "npm install in tests/e2e" s_npm_install || true
    fi

    for dir in "${BUILDS[@]}"; do
        if [[ " ${BUILT[*]} " != *" $dir "* ]]; then
            s_skip "ctest $dir/ (build failed)"
        elif [[ "$dir" == build ]]; then
            s_step "ctest $dir/" s_ctest "$dir" "$@" || true
        else
            s_step "ctest $dir/ (sanitizers)" s_ctest_sanitized "$dir" "$@" || true
        fi
    done
}

# One line, read whole before it runs: editing this file cannot derail a running copy.
main "$@"; exit
