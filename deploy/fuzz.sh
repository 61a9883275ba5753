#!/usr/bin/env bash
#  deploy/fuzz.sh - long fuzzing campaigns of the libFuzzer targets in tests/fuzz
#
#  Usage: deploy/fuzz.sh [seconds-per-target] [target...]     e.g. deploy/fuzz.sh 600 http jwt
#
#  Builds build-fuzz/ (clang, -DWF_FUZZ=ON) when needed, then runs each target (all by default:
#  msg http account identity jwt signalr config amqp) for the given seconds (default 60) on its
#  own working corpus under var/fuzz/<target>/corpus, which starts as a copy of the committed
#  seeds and keeps growing from one run to the next. A crash (or leak, timeout, out-of-memory,
#  failed property) is saved under var/fuzz/<target>/artifacts/ and the target restarts on its
#  corpus until its time is up (at most WF_FUZZ_CRASHES_MAX crashes, default 5). Ends with a
#  table: target, seconds, executions, executions per second, crashes, corpus size. Exit status
#  1 when any target crashed.
#
#  Environment: WF_FUZZ_RUNS=N stops each target after N executions instead (the seconds stay
#  a cap); WF_FUZZ_PARALLEL=N runs N targets at a time (default 1: the fuzzers use one core
#  each); WF_FUZZ_DIR (default var/fuzz) holds corpora, artifacts and logs; WF_FUZZ_BUILD_DIR
#  (default build-fuzz) is the build folder (another one keeps a long run's binaries apart). To reproduce a
#  crash: build-fuzz/tests/fuzz/wf_<target>_fuzz var/fuzz/<target>/artifacts/crash-...;
#  once fixed, copy the input into tests/fuzz/<target>/corpus/ so every run replays it.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
cd "$REPO_DIR"

readonly ALL_TARGETS=(msg http account identity jwt signalr config amqp)
SECONDS_PER_TARGET=60
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then
    SECONDS_PER_TARGET="$1"
    shift
fi
readonly SECONDS_PER_TARGET
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
    TARGETS=("${ALL_TARGETS[@]}")
fi
readonly FUZZ_DIR="${WF_FUZZ_DIR:-$REPO_DIR/var/fuzz}"
readonly RUNS="${WF_FUZZ_RUNS:-}"
readonly PARALLEL="${WF_FUZZ_PARALLEL:-1}"
readonly CRASHES_MAX="${WF_FUZZ_CRASHES_MAX:-5}"
readonly BUILD_DIR="${WF_FUZZ_BUILD_DIR:-$REPO_DIR/build-fuzz}"

for target in "${TARGETS[@]}"; do
    if [[ ! -d "$REPO_DIR/tests/fuzz/$target/corpus" ]]; then
        echo "fuzz.sh: unknown target '$target' (known: ${ALL_TARGETS[*]})" >&2
        exit 2
    fi
done
if ! command -v clang > /dev/null; then
    echo "fuzz.sh: clang is needed (deploy/deps.sh installs it)" >&2
    exit 2
fi

echo "== building build-fuzz/"
CC=clang cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWF_FUZZ=ON > /dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" > "$BUILD_DIR/fuzz-build.log" 2>&1 ||
    { tail -30 "$BUILD_DIR/fuzz-build.log"; exit 1; }

# Runs one target until its time (or WF_FUZZ_RUNS) is used up, restarting after each crash;
# writes "execs seconds crashes" to its summary file.
s_campaign () {
    local target="$1" dir="$FUZZ_DIR/$1"
    local binary="$BUILD_DIR/tests/fuzz/wf_${target}_fuzz"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp -n "$REPO_DIR/tests/fuzz/$target/corpus/"* "$dir/corpus/" 2> /dev/null || true
    local started=$SECONDS execs=0 crashes=0 left="$SECONDS_PER_TARGET" round=0
    local runs_left="${RUNS:-0}"
    : > "$dir/fuzz.log"
    while (( left > 0 && crashes < CRASHES_MAX )); do
        round=$((round + 1))
        local args=(-max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                    -artifact_prefix="$dir/artifacts/")
        if [[ -n "$RUNS" ]]; then
            args+=(-runs="$runs_left")
        fi
        local status=0
        "$binary" "${args[@]}" "$dir/corpus" > "$dir/round.log" 2>&1 || status=$?
        cat "$dir/round.log" >> "$dir/fuzz.log"
        local done_now
        done_now=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/round.log" | tail -1)
        if [[ -z "$done_now" ]]; then
            # A crash ends the run before its final stats: take the last status line.
            done_now=$(grep -o '^#[0-9]*' "$dir/round.log" | tail -1 | tr -d '#')
        fi
        execs=$((execs + ${done_now:-0}))
        if (( status != 0 )); then
            crashes=$((crashes + 1))
            grep -m1 -E 'ERROR: |fuzz property failed|runtime error' "$dir/round.log" |
                sed "s/^/[$target] /" >&2 || true
        else
            break # time or runs used up
        fi
        if [[ -n "$RUNS" ]]; then
            runs_left=$((RUNS - execs))
            (( runs_left > 0 )) || break
        fi
        left=$((SECONDS_PER_TARGET - (SECONDS - started)))
    done
    echo "$execs $((SECONDS - started)) $crashes" > "$dir/summary"
}

mkdir -p "$FUZZ_DIR"
echo "== fuzzing ${TARGETS[*]}: ${SECONDS_PER_TARGET} s each${RUNS:+ (or $RUNS executions)}," \
     "$PARALLEL at a time; logs in $FUZZ_DIR/<target>/fuzz.log"
running=0
for target in "${TARGETS[@]}"; do
    rm -f "$FUZZ_DIR/$target/summary"
    s_campaign "$target" &
    running=$((running + 1))
    if (( running >= PARALLEL )); then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

FAILED=0
printf '\n%-10s %8s %14s %10s %8s %8s\n' target seconds executions exec/s crashes corpus
for target in "${TARGETS[@]}"; do
    dir="$FUZZ_DIR/$target"
    read -r execs elapsed crashes < "$dir/summary" || { execs=0 elapsed=0 crashes=1; }
    corpus=$(find "$dir/corpus" -type f | wc -l)
    rate=$(( elapsed > 0 ? execs / elapsed : execs ))
    printf '%-10s %8d %14d %10d %8d %8d\n' "$target" "$elapsed" "$execs" "$rate" "$crashes" "$corpus"
    if (( crashes > 0 )); then
        FAILED=1
        find "$dir/artifacts" -type f | sed "s|^|           |"
    fi
done
exit "$FAILED"
