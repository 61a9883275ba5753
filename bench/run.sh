#!/usr/bin/env bash
#  bench/run.sh - the benchmark suite in one command: our money commands beside their baselines.
#
#  Builds walletflow (build-bench/, RelWithDebInfo = -O2 -g, frame pointers, no sanitizers), starts
#  a private stack (deploy/stack.sh, var/bench/, its own ports), registers BENCH_USERS users with
#  seeded wallets, then measures, interleaved in the same run:
#    ours    money commands (deposit/withdraw/transfer mix) over HTTP/1.1 keep-alive, a valid JWT and a
#            fresh Idempotency-Key on every request: closed loop (wrk + bench/money.lua) and open
#            loop at a fixed rate (bench/wf_loadgen.c; latency from the moment each request was due)
#    naive   pgbench running the same SQL our shards run per command, one transaction per command
#            (bench/deposit.sql, withdraw.sql, transfer.sql), same PostgreSQL, same client count
#            and also BENCH_NAIVE_SMALL_CLIENTS (its better point on 2 cores): the best is the ceiling
#    http    the same wrk script against nginx `return 200` (private config, loopback)
#    batched what group commit could reach on this PostgreSQL: pgbench writing the rows of
#            BENCH_BATCH deposits per transaction, one statement per table, as many streams as we
#            have account shards (bench/batched.sql); an upper bound, not equal work
#  then profiles our server under the closed-loop load (perf, else nothing), runs `walletflow audit`,
#  prints the figures with ratios, writes bench/last-run.txt and bench/profile/*.txt, and stops
#  everything it started. Nothing here is part of CI.
#
#  Environment (defaults):
#    BENCH_USERS=1000             users registered, one seeded wallet each
#    BENCH_CONNECTIONS=64         HTTP connections = pgbench clients (the issue's target load)
#    BENCH_NAIVE_SMALL_CLIENTS=8  second pgbench client count (8 beat 32+ on 2 cores)
#    BENCH_THREADS=2              wrk / wf_loadgen threads
#    BENCH_DURATION_S=20          seconds per measured phase
#    BENCH_WARMUP_S=5             closed-loop warm-up before the first phase (not reported)
#    BENCH_ROUNDS=2               rounds of (ours, naive, naive-small, http); medians are reported
#    BENCH_OPEN_RATES=50%         open-loop rates: N% of the closed-loop maximum, or requests/s
#    BENCH_MIX=40,30,30           deposit,withdraw,transfer weights
#    BENCH_DRAIN_MAX_S=180        longest wait for the outbox to drain after our phases
#    BENCH_PROFILE=1              perf profile of our server (0: skip)
#    BENCH_PROFILE_S=10           its length
#    BENCH_PG_STATEMENTS=1        pg_stat_statements (SQL per command, both sides; 0: off)
#    BENCH_SHARDS=2               walletflow --account-shards (and the batched phase's streams); one
#                                 per core: fewer shards make bigger batches (bench/README.md)
#    BENCH_BATCH=                 deposits per batched transaction (default connections / shards)
#    BENCH_PG_MAX_WAL=16GB        PostgreSQL's max_wal_size (checkpoint_timeout is 30min): room
#                                 for a whole run's WAL, so no checkpoint lands in a phase
#    BENCH_EXPERIMENTS=1          naive and ours with, then without the outbox NOTIFY trigger (0: skip)
#    BENCH_RSS_ACCOUNTS=100000    accounts opened for one user and touched by one deposit each, then
#                                 walletflow's RSS is printed (0: skip)
#    BENCH_SNAPSHOT_EVENTS=1000000  events of the long stream whose load is timed against a 10-event
#                                 stream (bench/wf_benchdata.c, a database of its own; 0: skip)
#    BENCH_KEEP_VAR=0             1: leave var/bench (logs, database, stack stopped) for inspection
#    BENCH_HTTP_PORT=58080 BENCH_NGINX_PORT=58081
#    BENCH_PG_PORT=55452 BENCH_REDIS_PORT=56399 BENCH_AMQP_PORT=55692 BENCH_EPMD_PORT=54389
#    BENCH_AMQP_DIST_PORT=55693   (inherited WF_* variables are ignored: the stack is always var/bench)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_DIR
readonly BENCH_DIR="$REPO_DIR/bench"
readonly BUILD_DIR="$REPO_DIR/build-bench"
readonly SERVER="$BUILD_DIR/actors/runtime/walletflow"
readonly LOADGEN="$BUILD_DIR/bench/wf_loadgen"
readonly BENCHDATA="$BUILD_DIR/bench/wf_benchdata"

USERS="${BENCH_USERS:-1000}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
SMALL_CLIENTS="${BENCH_NAIVE_SMALL_CLIENTS:-8}"
THREADS="${BENCH_THREADS:-2}"
DURATION_S="${BENCH_DURATION_S:-20}"
WARMUP_S="${BENCH_WARMUP_S:-5}"
ROUNDS="${BENCH_ROUNDS:-2}"
OPEN_RATES="${BENCH_OPEN_RATES:-50%}"
MIX="${BENCH_MIX:-40,30,30}"
DRAIN_MAX_S="${BENCH_DRAIN_MAX_S:-180}"
PROFILE="${BENCH_PROFILE:-1}"
PROFILE_S="${BENCH_PROFILE_S:-10}"
PG_STATEMENTS="${BENCH_PG_STATEMENTS:-1}"
KEEP_VAR="${BENCH_KEEP_VAR:-0}"
RSS_ACCOUNTS="${BENCH_RSS_ACCOUNTS:-100000}"
SNAPSHOT_EVENTS="${BENCH_SNAPSHOT_EVENTS:-1000000}"
SHARDS="${BENCH_SHARDS:-2}"
PG_MAX_WAL="${BENCH_PG_MAX_WAL:-16GB}"
BATCH="${BENCH_BATCH:-}"
EXPERIMENTS="${BENCH_EXPERIMENTS:-1}"
HTTP_PORT="${BENCH_HTTP_PORT:-58080}"
NGINX_PORT="${BENCH_NGINX_PORT:-58081}"
#  walletflow and stack.sh read WF_* from the environment: a shell that ran
#  `eval "$(deploy/stack.sh env)"` for the dev stack must not point the benchmark at it.
for variable in $(compgen -e | grep '^WF_' || true); do
    unset "$variable"
done
export WF_VAR_DIR="$REPO_DIR/var/bench"
export WF_PG_PORT="${BENCH_PG_PORT:-55452}" WF_REDIS_PORT="${BENCH_REDIS_PORT:-56399}"
export WF_AMQP_PORT="${BENCH_AMQP_PORT:-55692}" WF_EPMD_PORT="${BENCH_EPMD_PORT:-54389}"
export WF_AMQP_DIST_PORT="${BENCH_AMQP_DIST_PORT:-55693}"
#  The benchmark measures throughput from one address: no rate limits.
export WF_RATE_LIMIT=0
readonly OUT="$WF_VAR_DIR/bench"          #  this run's raw outputs
readonly RUN_ID="b$(date +%s)"
readonly NAIVE_DB=walletflow_naive

WF_PID=""
NGINX_PID=""
BG_PIDS=()

s_log () {
    printf 'bench: %s\n' "$*" >&2
}

s_die () {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

s_int () {
    [[ "$2" =~ ^[0-9]+$ ]] && (( $2 >= ${3:-1} )) || s_die "$1 must be a whole number >= ${3:-1}, not '$2'"
}

#  Value of KEY in a `key=value ...` line.
kv () {
    sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}

#  awk arithmetic on two numbers: calc FORMAT EXPRESSION A B, e.g. calc '%.2f' 'a/b' 3 4.
#  Prints "-" when an operand is not a number or a divisor b is 0.
calc () {
    local guard=""
    [[ "$2" == */b* ]] && guard='if (b + 0 == 0) { print "-"; exit }'
    awk -v a="${3:-}" -v b="${4:-}" -v uses_b="$([[ "$2" == *b* ]] && echo 1 || echo 0)" "BEGIN {
        if (a !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?\$/ || (uses_b && b !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?\$/)) { print \"-\"; exit }
        $guard
        printf \"$1\\n\", $2 }"
}

#  Median of the numbers given (one value: itself).
median () {
    printf '%s\n' "$@" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

s_port_open () {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

#  Stops a process we started: TERM, wait, KILL as a last resort.
s_stop_pid () {
    local pid="$1" what="$2" i
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    s_log "$what (pid $pid) ignored TERM for 20 s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

s_cleanup () {
    local rc=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${BG_PIDS[@]:-}"; do
        [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true
    done
    s_stop_pid "$NGINX_PID" nginx
    s_stop_pid "$WF_PID" walletflow
    "$REPO_DIR/deploy/stack.sh" stop >/dev/null 2>&1 || s_log "stack stop reported an error"
    if [[ "$KEEP_VAR" == 1 ]]; then
        s_log "kept $WF_VAR_DIR (stack stopped)"
    else
        rm -rf "$WF_VAR_DIR"
    fi
    exit "$rc"
}

s_preflight () {
    s_int BENCH_USERS "$USERS" 2
    s_int BENCH_CONNECTIONS "$CONNECTIONS"
    s_int BENCH_NAIVE_SMALL_CLIENTS "$SMALL_CLIENTS"
    s_int BENCH_THREADS "$THREADS"
    s_int BENCH_DURATION_S "$DURATION_S"
    s_int BENCH_WARMUP_S "$WARMUP_S" 0
    s_int BENCH_ROUNDS "$ROUNDS"
    s_int BENCH_PROFILE_S "$PROFILE_S"
    s_int BENCH_SHARDS "$SHARDS"
    s_int BENCH_RSS_ACCOUNTS "$RSS_ACCOUNTS" 0
    s_int BENCH_SNAPSHOT_EVENTS "$SNAPSHOT_EVENTS" 0
    (( SNAPSHOT_EVENTS == 0 || SNAPSHOT_EVENTS > 20 )) || s_die "BENCH_SNAPSHOT_EVENTS must be 0 or > 20"
    [[ -n "$BATCH" ]] || BATCH=$(( CONNECTIONS / SHARDS > 1 ? CONNECTIONS / SHARDS : 2 ))
    s_int BENCH_BATCH "$BATCH"
    (( CONNECTIONS >= THREADS )) || s_die "BENCH_CONNECTIONS must be >= BENCH_THREADS"
    [[ "$MIX" =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] || s_die "BENCH_MIX must be three weights, e.g. 40,30,30"
    local tool missing=()
    for tool in cmake gcc wrk pgbench psql node curl; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    (( ${#missing[@]} == 0 )) || s_die "missing tools: ${missing[*]} (deploy/deps.sh; apt-get install wrk postgresql-15 nodejs)"
    if ! command -v nginx >/dev/null; then
        if (( EUID == 0 )); then
            s_log "installing nginx-light (the HTTP ceiling; no service is started)"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null \
                || s_die "apt-get install nginx-light failed"
        else
            s_die "nginx is missing (apt-get install nginx-light)"
        fi
    fi
    if [[ "$PROFILE" == 1 ]] && ! perf record -e cpu-clock -o /dev/null -- true >/dev/null 2>&1; then
        s_log "perf does not work here (apt-get install linux-perf?): no profile this run"
        PROFILE=0
    fi
    local port
    for port in "$HTTP_PORT" "$NGINX_PORT"; do
        ! s_port_open "$port" || s_die "port $port is in use (BENCH_HTTP_PORT / BENCH_NGINX_PORT)"
    done
}

s_build () {
    s_log "building $BUILD_DIR (RelWithDebInfo: -O2 -g -fno-omit-frame-pointer, no sanitizers)"
    cmake -S "$REPO_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_FLAGS="-fno-omit-frame-pointer" -DWF_SANITIZE=OFF >"$BUILD_DIR.cmake.log" 2>&1 \
        || { tail -30 "$BUILD_DIR.cmake.log" >&2; s_die "cmake failed"; }
    rm -f "$BUILD_DIR.cmake.log"
    cmake --build "$BUILD_DIR" -j"$(nproc)" --target walletflow wf_benchdata >"$BUILD_DIR/bench-build.log" 2>&1 \
        || { grep -m 20 -B 2 -A 6 'error' "$BUILD_DIR/bench-build.log" >&2; s_die "build failed"; }
    mkdir -p "$BUILD_DIR/bench"
    gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -o "$LOADGEN" "$BENCH_DIR/wf_loadgen.c" \
        || s_die "wf_loadgen did not build"
}

#  A fresh private stack: the database starts empty every run.
s_stack () {
    "$REPO_DIR/deploy/stack.sh" stop >/dev/null 2>&1 || true
    rm -rf "$WF_VAR_DIR"
    "$REPO_DIR/deploy/stack.sh" start 2>&1 | sed 's/^/  /' >&2
    eval "$("$REPO_DIR/deploy/stack.sh" env)"
    mkdir -p "$OUT"
    #  Checkpoints as a write-heavy production server spaces them: with the default 1 GB of WAL
    #  a checkpoint started every minute or so of load, and the full-page images and write-back
    #  after each one hit whichever phase ran then (both sides; durability is unchanged: every
    #  commit is still flushed, only crash recovery may replay more WAL).
    psql -X -q "$WF_PG_URL" -c "ALTER SYSTEM SET max_wal_size = '${PG_MAX_WAL}'" \
        -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" \
        -c "ALTER SYSTEM SET log_min_duration_statement = '100ms'" \
        -c "ALTER SYSTEM SET log_autovacuum_min_duration = '0'" -c "ALTER SYSTEM SET log_lock_waits = on"
    if [[ "$PG_STATEMENTS" == 1 ]]; then
        #  Per-statement counts for both sides; the restart below loads the library.
        psql -X -q "$WF_PG_URL" -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
    fi
    "$REPO_DIR/deploy/stack.sh" stop postgres >/dev/null 2>&1
    "$REPO_DIR/deploy/stack.sh" start postgres >/dev/null 2>&1
    if [[ "$PG_STATEMENTS" == 1 ]]; then
        psql -X -q "$WF_PG_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
    fi
}

#  Starts walletflow with extra flags; waits until /health/ready answers 200.
s_server_start () {
    local log="$1"; shift
    WF_JWT_SECRET="$JWT_SECRET" "$SERVER" --http-port "$HTTP_PORT" --http-interface 127.0.0.1 \
        --jwt-ttl-s 7200 --account-shards "$SHARDS" "$@" >>"$log" 2>&1 &
    WF_PID=$!
    local i
    for ((i = 0; i < 300; i++)); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$HTTP_PORT/health/ready" || true)" == 200 ]] && return 0
        kill -0 "$WF_PID" 2>/dev/null || { tail -20 "$log" >&2; s_die "walletflow exited during start"; }
        sleep 0.1
    done
    tail -20 "$log" >&2
    s_die "walletflow not ready within 30 s"
}

s_server_stop () {
    s_stop_pid "$WF_PID" walletflow
    WF_PID=""
}

s_register () {
    #  Cheap Argon2 for this phase only: registration is setup, not what we measure.
    s_log "registering $USERS users (Argon2id ops=1 mem=8 MiB for this phase only)"
    s_server_start "$WF_VAR_DIR/log/walletflow-register.log" --argon2-ops 1 --argon2-mem-kib 8192
    node "$BENCH_DIR/register.mjs" "http://127.0.0.1:$HTTP_PORT" "$USERS" 16 "$OUT/users.txt" \
        "$RUN_ID" >&2 || s_die "registration failed (log: $WF_VAR_DIR/log/walletflow-register.log)"
    s_drain "registration" >/dev/null
    s_server_stop
}

s_naive_setup () {
    s_log "naive database $NAIVE_DB: same schema (walletflow migrate), $USERS wallets"
    psql -X -q "$WF_PG_URL" -c "CREATE DATABASE $NAIVE_DB"
    NAIVE_URL="${WF_PG_URL%/*}/$NAIVE_DB"
    "$SERVER" migrate --pg-url "$NAIVE_URL" >"$WF_VAR_DIR/log/naive-migrate.log" 2>&1 \
        || { cat "$WF_VAR_DIR/log/naive-migrate.log" >&2; s_die "migrate $NAIVE_DB failed"; }
    psql -X -q "$NAIVE_URL" -v accounts="$USERS" -f "$BENCH_DIR/naive_setup.sql" >/dev/null
}

#  Undelivered outbox rows: "<for account shards> <any destination>".
s_outbox_pending () {
    psql -X -At "$WF_PG_URL" -c "SELECT /* bench:monitor */ count(*) FILTER (WHERE 'account' = ANY (pending)),
        count(*) FILTER (WHERE delivered_at IS NULL) FROM outbox" | tr '|' ' '
}

#  Waits until the outbox is drained; prints "account_s=.. all_s=.. left_account=.. left_all=..".
s_drain () {
    local what="$1" start=$SECONDS account_s="" pending account all
    while :; do
        pending="$(s_outbox_pending)"
        account="${pending% *}" all="${pending#* }"
        [[ -z "$account_s" && "$account" == 0 ]] && account_s=$((SECONDS - start))
        [[ "$all" == 0 ]] && break
        (( SECONDS - start >= DRAIN_MAX_S )) && break
        sleep 0.5
    done
    [[ -n "$account_s" ]] || account_s=">$DRAIN_MAX_S"
    [[ "$all" == 0 ]] && all="$((SECONDS - start))" || all=">$DRAIN_MAX_S"
    printf 'account_s=%s all_s=%s left_account=%s\n' "$account_s" "$all" "$account"
    s_log "$what: credit legs applied after ${account_s} s, outbox drained after ${all} s"
}

s_metrics () {
    curl -s --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" >"$1" || true
}

#  Sum of a metric family's samples in a /metrics dump.
s_metric_sum () {
    awk -v name="$2" '$1 == name || index($1, name "{") == 1 { s += $NF } END { printf "%.6f\n", s }' "$1"
}

#  Group commit figures between two /metrics dumps: "batches=.. per_batch=.. commit_ms=..".
s_group_commit () {
    local a="$1" b="$2" batches sizes commits
    batches=$(calc '%.0f' 'b-a' "$(s_metric_sum "$a" wf_account_batches_total)" "$(s_metric_sum "$b" wf_account_batches_total)")
    sizes=$(calc '%.3f' '(b-a)*1000' "$(s_metric_sum "$a" wf_account_batch_size_thousands_sum)" "$(s_metric_sum "$b" wf_account_batch_size_thousands_sum)")
    commits=$(calc '%.6f' 'b-a' "$(s_metric_sum "$a" wf_account_commit_seconds_sum)" "$(s_metric_sum "$b" wf_account_commit_seconds_sum)")
    printf 'batches=%s per_batch=%s commit_ms=%s\n' "$batches" "$(calc '%.1f' 'a/b' "$sizes" "$batches")" \
        "$(calc '%.2f' 'a*1000/b' "$commits" "$batches")"
}

s_pgss_reset () {
    [[ "$PG_STATEMENTS" == 1 ]] && psql -X -q -At "$WF_PG_URL" -c "SELECT pg_stat_statements_reset()" >/dev/null || true
}

#  Statements per database since the last reset: writes the top ones to FILE, prints total calls.
s_pgss_dump () {
    local db="$1" file="$2"
    [[ "$PG_STATEMENTS" == 1 ]] || { echo 0; return; }
    psql -X -q "$WF_PG_URL" -P pager=off -c "SELECT calls, round (total_exec_time::numeric, 1) AS exec_ms,
        round (mean_exec_time::numeric, 3) AS mean_ms, rows,
        left (regexp_replace (query, '\s+', ' ', 'g'), 110) AS query
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = '$db' AND query NOT LIKE '%bench:monitor%' AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY calls DESC, total_exec_time DESC LIMIT 30" >"$file"
    psql -X -q -At "$WF_PG_URL" -c "SELECT coalesce (sum (calls), 0) FROM pg_stat_statements s
        JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$db'
        AND query NOT LIKE '%bench:monitor%' AND query NOT LIKE '%pg_stat_statements%'"
}

#  wrk with money.lua against PORT for SECONDS; prints its key=value line.
s_wrk () {
    local port="$1" seconds="$2" tag="$3"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --latency --timeout 10s \
        -s "$BENCH_DIR/money.lua" "http://127.0.0.1:$port" \
        -- "$OUT/users.txt" "$RUN_ID-$tag" "$MIX" "$CONNECTIONS" >"$OUT/wrk-$tag.txt" 2>&1 \
        || { cat "$OUT/wrk-$tag.txt" >&2; s_die "wrk ($tag) failed"; }
    grep '^tool=wrk' "$OUT/wrk-$tag.txt" || { cat "$OUT/wrk-$tag.txt" >&2; s_die "wrk ($tag): no result line"; }
}

s_ours_closed () {
    local round="$1" phase="${2:-ours_closed}" line drain gc calls tag
    tag="$phase-$round"
    s_metrics "$OUT/metrics-before-$tag.txt"
    s_pgss_reset
    line="$(s_wrk "$HTTP_PORT" "$DURATION_S" "$tag")"
    s_metrics "$OUT/metrics-after-$tag.txt"
    drain="$(s_drain "$phase, round $round")"
    calls="$(s_pgss_dump walletflow "$OUT/sql-$tag.txt")"
    gc="$(s_group_commit "$OUT/metrics-before-$tag.txt" "$OUT/metrics-after-$tag.txt")"
    printf 'phase=%s round=%s %s %s %s sql_calls=%s\n' "$phase" "$round" "$line" "$drain" "$gc" "$calls" \
        | tee -a "$OUT/results.txt"
}

#  Percentiles (ms) of the per-transaction latencies in pgbench's logs (3rd column, us).
s_pgbench_percentiles () {
    cat "$@" 2>/dev/null | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "p50_ms=- p90_ms=- p99_ms=- p999_ms=- max_ms=-"; exit }
        split("50 90 99 99.9", p, " "); split("p50_ms p90_ms p99_ms p999_ms", k, " ")
        for (i = 1; i <= 4; i++) { r = int(p[i] / 100 * NR + 0.999999); if (r < 1) r = 1
            printf "%s=%.3f ", k[i], v[r] / 1000 }
        printf "max_ms=%.3f\n", v[NR] / 1000 }'
}

s_naive () {
    local round="$1" clients="$2" suffix="${3:-}" tag="naive-$2${3:-}-$1" text tps processed failed calls
    s_pgss_reset
    rm -f "$OUT/pgb-$tag".*
    (cd "$OUT" && pgbench -n -M prepared -c "$clients" -j "$THREADS" -T "$DURATION_S" \
        -D accounts="$USERS" -l --log-prefix="pgb-$tag" \
        -f "$BENCH_DIR/deposit.sql@${MIX%%,*}" -f "$BENCH_DIR/withdraw.sql@$(cut -d, -f2 <<<"$MIX")" \
        -f "$BENCH_DIR/transfer.sql@${MIX##*,}" -h 127.0.0.1 -p "$WF_PG_PORT" -U postgres "$NAIVE_DB" \
        >"$OUT/$tag.txt" 2>&1) || { tail -20 "$OUT/$tag.txt" >&2; s_die "pgbench ($tag) failed"; }
    text="$(cat "$OUT/$tag.txt")"
    tps="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$text")"
    processed="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$text")"
    failed="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$text")"
    calls="$(s_pgss_dump "$NAIVE_DB" "$OUT/sql-$tag.txt")"
    printf 'phase=naive_%s%s round=%s tool=pgbench mode=closed connections=%s duration_s=%s requests=%s ok=%s ok_rps=%s rps=%s %s statuses=commit:%s errors=failed:%s sql_calls=%s\n' \
        "$clients" "$suffix" "$round" "$clients" "$DURATION_S" "$processed" "$processed" "$(calc '%.1f' a "$tps")" \
        "$(calc '%.1f' a "$tps")" "$(s_pgbench_percentiles "$OUT/pgb-$tag".*)" "$processed" "${failed:-0}" "$calls" \
        | tee -a "$OUT/results.txt"
    rm -f "$OUT/pgb-$tag".*
}

#  The batched ceiling: BATCH deposits per transaction, SHARDS streams (bench/batched.sql).
s_batched () {
    local round="$1" tag="batched-$1" text tps processed failed
    (cd "$OUT" && pgbench -n -M prepared -c "$SHARDS" -j "$SHARDS" -T "$DURATION_S" --max-tries 10 \
        -D accounts="$USERS" -D batch="$BATCH" -l --log-prefix="pgb-$tag" -f "$BENCH_DIR/batched.sql" \
        -h 127.0.0.1 -p "$WF_PG_PORT" -U postgres "$NAIVE_DB" >"$OUT/$tag.txt" 2>&1) \
        || { tail -20 "$OUT/$tag.txt" >&2; s_die "pgbench ($tag) failed"; }
    text="$(cat "$OUT/$tag.txt")"
    tps="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$text")"
    processed="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$text")"
    failed="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$text")"
    printf 'phase=batched round=%s tool=pgbench mode=closed connections=%s batch=%s duration_s=%s requests=%s ok=%s ok_rps=%s rps=%s %s statuses=commit:%s errors=failed:%s\n' \
        "$round" "$SHARDS" "$BATCH" "$DURATION_S" "$((processed * BATCH))" "$((processed * BATCH))" \
        "$(calc '%.1f' 'a*b' "$tps" "$BATCH")" "$(calc '%.1f' 'a*b' "$tps" "$BATCH")" \
        "$(s_pgbench_percentiles "$OUT/pgb-$tag".*)" "$processed" "${failed:-0}" | tee -a "$OUT/results.txt"
    rm -f "$OUT/pgb-$tag".*
}

#  Experiment: both sides without the outbox's NOTIFY trigger, to show what the NOTIFY at every
#  commit costs, each right after a control phase with it (the pair shares the machine's mood).
#  Not a valid configuration: our relay then only finds rows by polling (1 s).
s_no_notify () {
    local naive_url="${WF_PG_URL%/*}/$NAIVE_DB"
    s_naive 1 "$SMALL_CLIENTS" _control >/dev/null
    psql -X -q "$naive_url" -c "ALTER TABLE outbox DISABLE TRIGGER outbox_notify"
    s_naive 1 "$SMALL_CLIENTS" _nonotify >/dev/null
    psql -X -q "$naive_url" -c "ALTER TABLE outbox ENABLE TRIGGER outbox_notify"
    s_ours_closed 1 ours_closed_control >/dev/null
    psql -X -q "$WF_PG_URL" -c "ALTER TABLE outbox DISABLE TRIGGER outbox_notify"
    s_ours_closed 1 ours_closed_nonotify >/dev/null
    psql -X -q "$WF_PG_URL" -c "ALTER TABLE outbox ENABLE TRIGGER outbox_notify"
}

s_nginx_start () {
    local dir="$WF_VAR_DIR/nginx"
    mkdir -p "$dir"
    sed -e "s#@VAR@#$dir#g" -e "s#@PORT@#$NGINX_PORT#g" -e "s#@WORKERS@#1#g" \
        "$BENCH_DIR/nginx.conf.in" >"$dir/nginx.conf"
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/nginx-error.log" >>"$dir/nginx.out" 2>&1 &
    NGINX_PID=$!
    local i
    for ((i = 0; i < 50; i++)); do
        s_port_open "$NGINX_PORT" && return 0
        sleep 0.1
    done
    cat "$dir/nginx-error.log" >&2 || true
    s_die "nginx did not start"
}

s_http () {
    local round="$1" line
    s_nginx_start
    line="$(s_wrk "$NGINX_PORT" "$DURATION_S" "http-$round")"
    s_stop_pid "$NGINX_PID" nginx
    NGINX_PID=""
    printf 'phase=http round=%s %s\n' "$round" "$line" | tee -a "$OUT/results.txt"
}

s_ours_open () {
    local rate="$1" line drain
    s_pgss_reset
    line="$("$LOADGEN" --port "$HTTP_PORT" --users "$OUT/users.txt" --rate "$rate" \
        --duration "$DURATION_S" --warmup 2 --connections "$CONNECTIONS" --threads "$THREADS" \
        --mix "$MIX" --run-id "$RUN_ID-open$rate")" || s_die "wf_loadgen failed"
    drain="$(s_drain "ours open loop at $rate/s")"
    printf 'phase=ours_open round=1 %s %s\n' "$line" "$drain" | tee -a "$OUT/results.txt"
}

#  perf of the whole machine while wrk drives our server; reports go to bench/profile/.
s_profile () {
    local data="$OUT/perf.data" dir="$BENCH_DIR/profile"
    mkdir -p "$dir"
    s_log "profiling walletflow under the closed loop (perf, ${PROFILE_S} s)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$((PROFILE_S + 3))s" --timeout 10s -s "$BENCH_DIR/money.lua" \
        "http://127.0.0.1:$HTTP_PORT" -- "$OUT/users.txt" "$RUN_ID-prof" "$MIX" "$CONNECTIONS" \
        >"$OUT/wrk-profile.txt" 2>&1 &
    local wrk_pid=$!
    BG_PIDS+=("$wrk_pid")
    sleep 1
    s_pg_cpu >"$OUT/pg-cpu-before.txt"
    perf record -e cpu-clock -F 999 -a -g -o "$data" -- sleep "$PROFILE_S" >"$OUT/perf-record.log" 2>&1 \
        || { s_log "perf record failed: $(tail -1 "$OUT/perf-record.log")"; wait "$wrk_pid" || true; return 0; }
    s_pg_cpu >"$OUT/pg-cpu-after.txt"
    wait "$wrk_pid" || true
    local header report=(perf report -i "$data" --stdio -g none)
    header="# $(date -u +%FT%TZ) perf record -e cpu-clock -F 999 -a -g, ${PROFILE_S} s, while wrk ran the closed-loop mix ($CONNECTIONS connections)"
    {
        echo "$header"
        echo "# Share of all CPU samples on the machine ($(nproc) CPUs), by process name and object."
        "${report[@]}" --no-children --sort comm,dso --percent-limit 0.7 2>/dev/null | grep -E '^ +[0-9]' || true
    } >"$dir/machine.txt"
    {
        echo "$header"
        echo "# walletflow only (pid $WF_PID), self time by symbol, % of walletflow's samples."
        "${report[@]}" --no-children --pid "$WF_PID" --percentage relative --sort dso,sym \
            --percent-limit 0.4 2>/dev/null | grep -E '^ +[0-9]' || true
    } >"$dir/walletflow-self.txt"
    {
        echo "$header"
        echo "# walletflow only, inclusive time (a function with all it calls), % of walletflow's samples;"
        echo "# our functions and the library entry points they call (the kernel's TCP stack is left out)."
        "${report[@]}" --children --pid "$WF_PID" --percentage relative --sort sym --percent-limit 0.5 \
            2>/dev/null | grep -E '^ +[0-9]' \
            | grep -E '\] (wf_|s_|PQ|pq|json|jwt|zmq|zmsg|zframe|zsock|zpoller|zhashx|lws|crypto_|msgpack|malloc|free|_int_|calloc|realloc|__poll|__send|__recv|__libc_(send|recv|write|read)|snprintf|vfprintf|__vfprintf|strftime)' \
            | head -60 || true
    } >"$dir/walletflow-children.txt"
    {
        echo "$header"
        echo "# walletflow only: samples by actor (each thread named after the actor loop most of its call"
        echo "# chains reach; see bench/perf_threads.awk), % of walletflow's samples."
        perf script -i "$data" --pid "$WF_PID" -F tid,ip,sym 2>/dev/null | awk -f "$BENCH_DIR/perf_threads.awk" || true
    } >"$dir/walletflow-threads.txt"
    {
        echo "$header"
        echo "# postgres processes, self time by symbol, % of postgres's samples."
        "${report[@]}" --no-children --comms postgres --percentage relative --sort dso,sym \
            --percent-limit 0.7 2>/dev/null | grep -E '^ +[0-9]' || true
    } >"$dir/postgres-self.txt"
    grep '^tool=wrk' "$OUT/wrk-profile.txt" | sed 's/^/# under perf: /' >>"$dir/machine.txt" || true
    #  CPU time per acknowledged command, from cpu-clock periods (ns) over the recorded window.
    local ok_rps commands total wf pg lg
    ok_rps="$(kv "$(grep -m 1 '^tool=wrk' "$OUT/wrk-profile.txt" || true)" ok_rps)"
    commands="$(calc '%.0f' 'a*b' "$ok_rps" "$PROFILE_S")"
    read -r total wf pg lg < <(s_cpu_split "$data")
    printf 'cpu_per_command=walletflow %s ms, postgres %s ms, wrk %s ms, everything else %s ms (%s commands in %s s, %s ms CPU in all)\n' \
        "$(calc '%.3f' 'a/b' "$wf" "$commands")" "$(calc '%.3f' 'a/b' "$pg" "$commands")" \
        "$(calc '%.3f' 'a/b' "$lg" "$commands")" \
        "$(calc '%.3f' 'a/b' "$(calc '%.3f' 'a-b' "$total" "$(calc '%.3f' 'a+b' "$wf" "$(calc '%.3f' 'a+b' "$pg" "$lg")")")" "$commands")" \
        "$commands" "$PROFILE_S" "$total" | tee -a "$dir/machine.txt" | sed 's/^/# /' >/dev/null
    grep -h '^cpu_per_command=' "$dir/machine.txt" >>"$OUT/profile-summary.txt" || true
    {
        echo "$header"
        echo "# PostgreSQL's CPU by process over the same window (utime+stime from /proc), per acknowledged"
        echo "# command, by the connection's application_name (our actors name theirs) or backend type."
        s_pg_cpu_report "$OUT/pg-cpu-before.txt" "$OUT/pg-cpu-after.txt" "$commands"
    } >"$dir/postgres-roles.txt"
    sed -i 's/^cpu_per_command=/# CPU per acknowledged command: /' "$dir/machine.txt"
    [[ "$KEEP_VAR" == 1 ]] || rm -f "$data"
}

#  Every PostgreSQL process now: "pid role cpu_ticks", the role being the connection's
#  application_name (actors name theirs after themselves) or else its backend type.
s_pg_cpu () {
    local pid role stat
    psql -X -At -F ' ' "$WF_PG_URL" -c "SELECT pid, replace (coalesce (nullif (application_name, ''),
        backend_type), ' ', '_') FROM pg_stat_activity" 2>/dev/null \
        | while read -r pid role; do
            stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
            stat="${stat##*) }"
            # shellcheck disable=SC2086
            set -- $stat
            echo "$pid $role $((${12} + ${13}))"
        done
}

#  CPU per command by role between two s_pg_cpu snapshots (processes in both).
s_pg_cpu_report () {
    awk -v hz="$(getconf CLK_TCK)" -v n="$3" '
        NR == FNR { before[$1] = $3; next }
        ($1 in before) { role = $2; sub (/\.[0-9]+$/, "", role); ms[role] += ($3 - before[$1]) * 1000 / hz; all += ($3 - before[$1]) * 1000 / hz }
        END { for (r in ms) printf "  %-28s %9.1f ms  %6.3f ms per command  %5.1f%%\n", r, ms[r], ms[r] / n, all ? 100 * ms[r] / all : 0
              printf "  %-28s %9.1f ms  %6.3f ms per command\n", "all (processes alive throughout)", all, all / n }' \
        "$1" "$2" | sort -k2 -n -r -t' '
}

#  CPU milliseconds in a perf.data (cpu-clock periods are nanoseconds): "all walletflow postgres wrk".
#  walletflow is our process by pid (its libzmq threads have other names; another walletflow on
#  the machine is not ours).
s_cpu_split () {
    perf script -i "$1" -F comm,pid,period 2>/dev/null | awk -v wf="$WF_PID" '
        $NF ~ /^[0-9]+$/ { p = $NF; all += p
            if ($(NF - 1) == wf) w += p; else if ($1 == "postgres") g += p; else if ($1 == "wrk") k += p }
        END { printf "%.1f %.1f %.1f %.1f\n", all / 1e6, w / 1e6, g / 1e6, k / 1e6 }'
}

#  RSS with many accounts touched: RSS_ACCOUNTS accounts opened for the first bench user straight
#  in the event store (bench/wf_benchdata.c), then one deposit each over HTTP (bench/touch.mjs), so
#  every one of them is loaded into a shard's cache once (the caches are bounded: they evict).
s_rss_step () {
    local first account token owner line before
    first="$(head -1 "$OUT/users.txt")"
    account="${first%% *}" token="${first#* }"
    owner="$(psql -X -At "$WF_PG_URL" -c "SELECT owner_id FROM accounts WHERE id = '$account'")"
    s_log "RSS step: opening $RSS_ACCOUNTS accounts for one user, then one deposit into each"
    "$BENCHDATA" accounts "$WF_PG_URL" "$owner" "$RSS_ACCOUNTS" >"$OUT/rss-ids.txt" \
        || s_die "wf_benchdata accounts failed"
    before="$(s_rss)"
    line="$(node "$BENCH_DIR/touch.mjs" "http://127.0.0.1:$HTTP_PORT" "$OUT/rss-ids.txt" "$token" \
        "$CONNECTIONS" "$RUN_ID")" || s_log "touch: not every deposit was answered 200: $line"
    s_drain "RSS step" >/dev/null
    printf 'rss_step=accounts %s, %s; walletflow before: %s; after: %s\n' "$RSS_ACCOUNTS" "$line" \
        "$before" "$(s_rss)"
}

#  Snapshots: a stream of SNAPSHOT_EVENTS events loads like one of 10 (a database of its own).
s_snapshot_step () {
    local url="${WF_PG_URL%/*}/walletflow_snap" line
    s_log "snapshot step: writing a stream of $SNAPSHOT_EVENTS events, timing loads against a 10-event stream"
    psql -X -q "$WF_PG_URL" -c "CREATE DATABASE walletflow_snap"
    "$SERVER" migrate --pg-url "$url" >"$WF_VAR_DIR/log/snap-migrate.log" 2>&1 \
        || { cat "$WF_VAR_DIR/log/snap-migrate.log" >&2; s_die "migrate walletflow_snap failed"; }
    line="$("$BENCHDATA" snapshot "$url" "$SNAPSHOT_EVENTS" 200)" || s_die "wf_benchdata snapshot failed"
    psql -X -q "$WF_PG_URL" -c "DROP DATABASE walletflow_snap"
    printf '%s\n' "$line"
}

s_rss () {
    awk '/^VmHWM|^VmRSS/ { printf "%s%s kB ", $1, $2 }' "/proc/$WF_PID/status" 2>/dev/null || echo "-"
}

s_machine () {
    local cpu
    cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    printf 'date=%s\n' "$(date -u +%FT%TZ)"
    printf 'machine=%s CPUs, %s, %s MiB RAM, kernel %s\n' "$(nproc)" "$cpu" \
        "$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" "$(uname -r)"
    printf 'postgres=%s\n' "$(psql -X -At "$WF_PG_URL" -c "SELECT 'fsync=' || current_setting ('fsync')
        || ' synchronous_commit=' || current_setting ('synchronous_commit')
        || ' wal_sync_method=' || current_setting ('wal_sync_method')
        || ' shared_buffers=' || current_setting ('shared_buffers') || ' max_wal_size=' || current_setting ('max_wal_size')
        || ' checkpoint_timeout=' || current_setting ('checkpoint_timeout') || ' ' || split_part (version (), ' ', 2)")"
    printf 'load_before=%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'revision=%s%s\n' "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')" \
        "$(git -C "$REPO_DIR" status --porcelain 2>/dev/null | grep -q . && echo ' +uncommitted changes' || true)"
    printf 'setup=users %s, connections %s, wrk/loadgen threads %s, mix deposit,withdraw,transfer %s, %s s per phase, %s rounds\n' \
        "$USERS" "$CONNECTIONS" "$THREADS" "$MIX" "$DURATION_S" "$ROUNDS"
}

#  Median of KEY over the result lines matching PATTERN.
s_med () {
    local pattern="$1" key="$2" line values=()
    while IFS= read -r line; do
        values+=("$(kv "$line" "$key")")
    done < <(grep -E "$pattern" "$OUT/results.txt" || true)
    median "${values[@]:-}"
}

#  One line of the figures table: medians over the result lines matching PATTERN.
s_row () {
    local label="$1" pattern="$2"
    grep -qE "$pattern" "$OUT/results.txt" || return 0
    printf '%-44s %9s %9s %8s %8s %8s %8s\n' "$label" "$(calc '%.1f' a "$(s_med "$pattern" ok_rps)")" \
        "$(calc '%.1f' a "$(s_med "$pattern" rps)")" "$(calc '%.2f' a "$(s_med "$pattern" p50_ms)")" \
        "$(calc '%.2f' a "$(s_med "$pattern" p90_ms)")" "$(calc '%.2f' a "$(s_med "$pattern" p99_ms)")" \
        "$(calc '%.2f' a "$(s_med "$pattern" p999_ms)")"
}

#  Our closed-loop rate counted until the credit legs were applied too: ok / (phase + catch-up).
s_sustained () {
    local line values=()
    while IFS= read -r line; do
        values+=("$(calc '%.1f' 'a/b' "$(kv "$line" ok)" "$(calc '%.1f' 'a+b' "$(kv "$line" duration_s)" "$(kv "$line" account_s)")")")
    done < <(grep -E '^phase=ours_closed ' "$OUT/results.txt" || true)
    median "${values[@]:-}"
}

s_report () {
    local ours naive_c naive_s naive http batched open_line report="$BENCH_DIR/last-run.txt" line
    ours="$(s_med '^phase=ours_closed ' ok_rps)"
    naive_c="$(s_med "^phase=naive_$CONNECTIONS " ok_rps)"
    naive_s="$(s_med "^phase=naive_$SMALL_CLIENTS " ok_rps)"
    naive="$(printf '%s\n%s\n' "$naive_c" "$naive_s" | { grep -E '^[0-9.]+$' || true; } | sort -g | tail -1)"
    http="$(s_med '^phase=http ' rps)"
    batched="$(s_med '^phase=batched ' ok_rps)"
    open_line="$(grep -m 1 '^phase=ours_open ' "$OUT/results.txt" || true)"
    {
        echo "WalletFlow benchmark (bench/run.sh)"
        cat "$OUT/machine.txt"
        echo
        echo "medians over $ROUNDS round(s); ok/s = commands answered 2xx (pgbench: committed) per second; latency ms"
        printf '%-44s %9s %9s %8s %8s %8s %8s\n' "phase" "ok/s" "all/s" "p50" "p90" "p99" "p99.9"
        s_row "ours, closed loop ($CONNECTIONS conn, wrk)" '^phase=ours_closed '
        printf '%-44s %9s\n' "  the same, until its credit legs were applied" "$(calc '%.1f' a "$(s_sustained)")"
        s_row "naive pgbench ($CONNECTIONS clients)" "^phase=naive_$CONNECTIONS "
        if [[ "$SMALL_CLIENTS" != "$CONNECTIONS" ]]; then
            s_row "naive pgbench ($SMALL_CLIENTS clients)" "^phase=naive_$SMALL_CLIENTS "
        fi
        s_row "experiment: naive ($SMALL_CLIENTS cl.), control" "^phase=naive_${SMALL_CLIENTS}_control "
        s_row "experiment: naive, no NOTIFY trigger" "^phase=naive_${SMALL_CLIENTS}_nonotify "
        s_row "experiment: ours, control" '^phase=ours_closed_control '
        s_row "experiment: ours, no NOTIFY trigger" '^phase=ours_closed_nonotify ' 
        s_row "batched ceiling ($SHARDS streams x $BATCH deposits/tx)" '^phase=batched '
        s_row "http ceiling (nginx, $CONNECTIONS conn, wrk)" '^phase=http '
        while IFS= read -r line; do
            printf '%-44s %9s %9s %8s %8s %8s %8s\n' "ours, open loop at $(kv "$line" rate_target)/s (wf_loadgen)" \
                "$(kv "$line" ok_rps)" "$(kv "$line" rps)" "$(calc '%.2f' a "$(kv "$line" p50_ms)")" \
                "$(calc '%.2f' a "$(kv "$line" p90_ms)")" "$(calc '%.2f' a "$(kv "$line" p99_ms)")" \
                "$(calc '%.2f' a "$(kv "$line" p999_ms)")"
        done < <(grep '^phase=ours_open ' "$OUT/results.txt" || true)
        echo
        if grep -q '^phase=ours_closed_nonotify ' "$OUT/results.txt"; then
            printf 'NOTIFY experiment (each pair back to back): naive without / with = %s;  ours without / with = %s\n' \
                "$(calc '%.2f' 'a/b' "$(s_med "^phase=naive_${SMALL_CLIENTS}_nonotify " ok_rps)" "$(s_med "^phase=naive_${SMALL_CLIENTS}_control " ok_rps)")" \
                "$(calc '%.2f' 'a/b' "$(s_med '^phase=ours_closed_nonotify ' ok_rps)" "$(s_med '^phase=ours_closed_control ' ok_rps)")"
        fi
        printf 'ratios: ours / naive ceiling (the better of %s and %s clients) = %s;  ours / http ceiling = %s;  ours / batched ceiling = %s\n' \
            "$CONNECTIONS" "$SMALL_CLIENTS" "$(calc '%.2f' 'a/b' "$ours" "$naive")" "$(calc '%.3f' 'a/b' "$ours" "$http")" \
            "$(calc '%.2f' 'a/b' "$ours" "$batched")"
        echo
        echo "every phase (statuses: HTTP answers by status, or pgbench commits; errors: socket errors and timeouts, or failed transactions):"
        while IFS= read -r line; do
            printf '  %-18s round %s %10s ok/s  statuses=%s errors=%s\n' "$(kv "$line" phase)" "$(kv "$line" round)" \
                "$(kv "$line" ok_rps)" "$(kv "$line" statuses)" "$(kv "$line" errors)"
        done < <(grep -E '^phase=' "$OUT/results.txt" || true)
        echo
        echo "behind our figures (/metrics deltas, pg_stat_statements, the outbox):"
        while IFS= read -r line; do
            printf '  %s round %s: %s commands in %s shard batches (%s per batch, COMMIT %s ms); %s SQL statements per ok command\n           (shards + relay); credit legs applied %s s after the phase ended, outbox drained after %s s\n' \
                "$(kv "$line" phase)" "$(kv "$line" round)" "$(kv "$line" ok)" "$(kv "$line" batches)" "$(kv "$line" per_batch)" \
                "$(kv "$line" commit_ms)" "$(calc '%.1f' 'a/b' "$(kv "$line" sql_calls)" "$(kv "$line" ok)")" \
                "$(kv "$line" account_s)" "$(kv "$line" all_s)"
        done < <(grep -E '^phase=ours_closed' "$OUT/results.txt" || true)
        while IFS= read -r line; do
            printf '  %s, round %s: %s SQL statements per command\n' "$(kv "$line" phase)" \
                "$(kv "$line" round)" "$(calc '%.1f' 'a/b' "$(kv "$line" sql_calls)" "$(kv "$line" ok)")"
        done < <(grep -E '^phase=naive_' "$OUT/results.txt" || true)
        while IFS= read -r line; do
            printf '  open loop at %s/s: %s sent, %s still queued and %s unanswered at the end; outbox drained after %s s\n' \
                "$(kv "$line" rate_target)" "$(kv "$line" sent)" "$(kv "$line" unsent_at_end)" \
                "$(kv "$line" inflight_at_end)" "$(kv "$line" all_s)"
        done < <(grep -E '^phase=ours_open ' "$OUT/results.txt" || true)
        sed 's/^cpu_per_command=/  CPU per acknowledged command under perf: /' "$OUT/profile-summary.txt" 2>/dev/null || true
        cat "$OUT/tail.txt" 2>/dev/null || true
        echo
        echo "history row for bench/README.md:"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$(date -u +%F)" \
            "$(sed -n 's/^revision=//p' "$OUT/machine.txt")" "$(calc '%.0f' a "$ours")" \
            "$(calc '%.0f' a "$(s_sustained)")" "$(calc '%.1f' a "$(s_med '^phase=ours_closed ' p99_ms)")" \
            "$(calc '%.0f' a "$naive")" "$(calc '%.2f' 'a/b' "$ours" "$naive")" "$(calc '%.0f' a "$batched")" \
            "$(calc '%.0f' a "$http")" "$(kv "$open_line" rate_target)" "$(calc '%.1f' a "$(kv "$open_line" p999_ms)")" \
            "$(sed -n 's/^audit=//p' "$OUT/tail.txt" 2>/dev/null)"
    } | tee "$report"
    s_log "report written to $report; profile in $BENCH_DIR/profile/"
}

main () {
    s_preflight
    trap s_cleanup EXIT
    trap 'exit 130' INT TERM
    s_build
    JWT_SECRET="bench-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
    s_stack
    s_machine >"$OUT/machine.txt"
    : >"$OUT/results.txt"
    s_register
    s_naive_setup
    s_log "walletflow for the measured phases (default Argon2: it is not on the money path)"
    s_server_start "$WF_VAR_DIR/log/walletflow.log"
    s_log "warm-up: ${WARMUP_S} s closed loop (not reported)"
    (( WARMUP_S > 0 )) && { s_wrk "$HTTP_PORT" "$WARMUP_S" warmup >/dev/null; s_drain "warm-up" >/dev/null; }
    local round rate
    for ((round = 1; round <= ROUNDS; round++)); do
        s_log "round $round/$ROUNDS: ours (closed loop), naive ($CONNECTIONS and $SMALL_CLIENTS clients), http ceiling, batched ceiling; ${DURATION_S} s each"
        s_ours_closed "$round" >/dev/null
        s_naive "$round" "$CONNECTIONS" >/dev/null
        [[ "$SMALL_CLIENTS" != "$CONNECTIONS" ]] && s_naive "$round" "$SMALL_CLIENTS" >/dev/null
        s_http "$round" >/dev/null
        s_batched "$round" >/dev/null
    done
    if [[ "$EXPERIMENTS" == 1 ]]; then
        s_log "experiment: naive ($SMALL_CLIENTS clients) and ours without the outbox NOTIFY trigger"
        s_no_notify
    fi
    local max
    max="$(s_med '^phase=ours_closed ' ok_rps)"
    for rate in ${OPEN_RATES//,/ }; do
        [[ "$rate" == *% ]] && rate="$(calc '%.0f' 'a*b/100' "$max" "${rate%\%}")"
        [[ "$rate" =~ ^[0-9]+$ ]] && (( rate > 0 )) || { s_log "open loop: skipping rate '$rate'"; continue; }
        s_log "ours, open loop at $rate requests/s for ${DURATION_S} s (+2 s warm-up)"
        s_ours_open "$rate" >/dev/null
    done
    [[ "$PROFILE" == 1 ]] && { s_profile; s_drain "profile" >/dev/null; }
    {
        printf 'walletflow_rss=%s\n' "$(s_rss)"
        if (( RSS_ACCOUNTS > 0 )); then s_rss_step; fi
        if (( SNAPSHOT_EVENTS > 0 )); then s_snapshot_step; fi
        if "$SERVER" audit --pg-url "$WF_PG_URL" >"$OUT/audit.txt" 2>&1; then
            echo "audit=pass"
        else
            echo "audit=FAIL (see below)"
            tail -20 "$OUT/audit.txt"
        fi
    } >"$OUT/tail.txt"
    s_server_stop
    s_report
    if [[ "$PG_STATEMENTS" == 1 ]]; then
        mkdir -p "$BENCH_DIR/profile"
        cp "$OUT/sql-ours_closed-1.txt" "$BENCH_DIR/profile/sql-ours.txt" 2>/dev/null || true
        cp "$OUT/sql-naive-$CONNECTIONS-1.txt" "$BENCH_DIR/profile/sql-naive.txt" 2>/dev/null || true
    fi
}

# One line, read whole before it runs: editing this file cannot derail a running copy.
main "$@"; exit
