#!/usr/bin/env bash
#  deploy/simulate.sh - run the deterministic simulator of the money core (docs/simulation.md)
#
#  Builds the simulator in build/ (RelWithDebInfo; needs no server) and runs it with the
#  arguments given, 10,000 seeds when none are:
#
#      deploy/simulate.sh                          # --seeds 10000
#      deploy/simulate.sh --seeds 50000 --first 1000000
#      deploy/simulate.sh --seed 4711 --trace      # replay one seed, step by step
#      deploy/simulate.sh --ambiguous-commits      # commits that apply but report a failure
#      deploy/simulate.sh --seeds 100 --plant no-version-check --expect-failure
#
#  Exits with the simulator's status: 0 when every seed passed (or, with --expect-failure, when
#  the planted bug was caught), 1 otherwise. Set WF_BUILD_DIR to use another build folder.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly BUILD_DIR="${WF_BUILD_DIR:-$REPO_DIR/build}"

if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    cmake -S "$REPO_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target wf_sim >/dev/null

readonly SIM="$BUILD_DIR/tests/sim/wf_sim"
[[ -x "$SIM" ]] || { printf 'simulate: error: %s was not built\n' "$SIM" >&2; exit 1; }

if [[ $# -eq 0 ]]; then
    set -- --seeds 10000 --quiet
fi
exec "$SIM" "$@"
