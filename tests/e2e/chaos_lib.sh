# chaos_lib.sh - helpers of the fault-injection tests (sourced after lib.sh and amqp_lib.sh, bash).
#
# A money load (load.mjs: clients retry an ambiguous answer with the same Idempotency-Key until it
# is definitive) runs in phases, one per fault. Each acknowledged (2xx) movement is a line of
# $CHAOS_ACKS. After a phase, chaos_ledger counts, in the event store itself, how often each
# movement acknowledged in that phase is present (lost: never, duplicated: more than once, for the
# debit and for a transfer's credit leg) and how many movements of the test's accounts nobody
# acknowledged (applied but unacknowledged: a half-applied command); chaos_row adds a line to the
# table chaos_table prints at the end.

CHAOS_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHAOS_STACK="$(cd "$CHAOS_HERE/../.." && pwd)/deploy/stack.sh"
CHAOS_ACKS="$E2E_TMP/acks.jsonl"
CHAOS_USERS="$E2E_TMP/users.json"
CHAOS_TABLE="$E2E_TMP/table.txt"
CHAOS_LOAD_CLIENTS=${CHAOS_LOAD_CLIENTS:-8}
CHAOS_LOAD_USERS=${CHAOS_LOAD_USERS:-10}
: >"$CHAOS_ACKS"
: >"$CHAOS_TABLE"

# chaos_stop SERVICE / chaos_up SERVICE: stops / starts one server of the stack (postgres, redis,
# rabbitmq); the exit trap starts a stopped one again, whatever happened.
CHAOS_DOWN=
chaos_stop() {
    CHAOS_DOWN=$1
    "$CHAOS_STACK" stop "$1" >/dev/null 2>&1 || fail "could not stop $1"
}
chaos_up() {
    "$CHAOS_STACK" start "$1" >/dev/null 2>&1 || fail "$1 did not start again"
    CHAOS_DOWN=
}
chaos_cleanup() {
    [ -z "$CHAOS_DOWN" ] || "$CHAOS_STACK" start "$CHAOS_DOWN" >/dev/null 2>&1 || true
    amqp_cleanup
}
trap chaos_cleanup EXIT

# chaos_forget PID: drops a process this test has waited for from lib.sh's exit kill list: pids
# are reused (pid_max may be 32768), and the list must never name someone else's process.
chaos_forget() {
    local pid kept=()
    for pid in "${E2E_PIDS[@]}"; do
        [ "$pid" = "$1" ] || kept+=("$pid")
    done
    E2E_PIDS=("${kept[@]}")
}

# chaos_stopped PID WHAT: SIGTERM (lib.sh's stop_process); it must exit 0 (under ASan: no leak).
chaos_stopped() {
    stop_process "$1" 20
    chaos_forget "$1"
    [ "$EXIT_CODE" = 0 ] || fail "$2 exited $EXIT_CODE after SIGTERM"
}

# chaos_json EXPRESSION [FILE]: evaluates a JavaScript expression over `j`, the JSON of FILE (or of
# stdin); prints strings as they are and anything else as JSON (node is here already; jq may not be).
chaos_json() {
    node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[2] || 0, "utf8"));
        const v = eval(process.argv[1]); console.log(typeof v === "string" ? v : JSON.stringify(v));' \
        "$@"
}

# chaos_acks: the number of movements acknowledged so far.
chaos_acks() {
    wc -l <"$CHAOS_ACKS"
}

# chaos_load_start BASE: starts load.mjs against BASE until chaos_load_stop (at most 15 min);
# the first call registers the users. Sets CHAOS_LOAD_PID; the phase starts at CHAOS_PHASE_FROM.
chaos_load_start() {
    CHAOS_PHASE_FROM=$(chaos_acks)
    CHAOS_LOAD_OUT="$E2E_TMP/load.$CHAOS_PHASE_FROM.out"
    CHAOS_STOP_FILE="$E2E_TMP/stop.$CHAOS_PHASE_FROM"
    CHAOS_LATENCY="$E2E_TMP/latency.$CHAOS_PHASE_FROM"
    : >"$CHAOS_LATENCY"
    LOAD_STOP_FILE="$CHAOS_STOP_FILE" LOAD_LATENCY_OUT="$CHAOS_LATENCY" \
        node "$CHAOS_HERE/load.mjs" "$1" 900 "$CHAOS_LOAD_CLIENTS" "$CHAOS_LOAD_USERS" \
        "$CHAOS_ACKS" "$CHAOS_USERS" >"$CHAOS_LOAD_OUT" 2>&1 &
    CHAOS_LOAD_PID=$!
    E2E_PIDS+=("$CHAOS_LOAD_PID")
}

# chaos_wait_acks COUNT SECONDS: waits until COUNT more movements than now are acknowledged.
chaos_wait_acks() {
    local want=$(($(chaos_acks) + $1)) end=$((SECONDS + $2))
    until [ "$(chaos_acks)" -ge "$want" ]; do
        kill -0 "$CHAOS_LOAD_PID" 2>/dev/null || fail "the load stopped: $(cat "$CHAOS_LOAD_OUT")"
        [ $SECONDS -lt $end ] || fail "fewer than $1 movements acknowledged within $2 s"
        sleep 0.05
    done
}

# chaos_load_stop: ends the load; it must have ended every movement with a definitive answer.
# Sets CHAOS_COUNTS to its answers by status ({"200":n,"422":n,"503":n,"network":n}).
chaos_load_stop() {
    touch "$CHAOS_STOP_FILE"
    wait "$CHAOS_LOAD_PID" || fail "the load failed: $(cat "$CHAOS_LOAD_OUT")"
    chaos_forget "$CHAOS_LOAD_PID"
    CHAOS_COUNTS=$(head -n 1 "$CHAOS_LOAD_OUT")
}

# chaos_drained SECONDS: waits until no outbox row waits for an account shard (credit legs).
chaos_drained() {
    local left end=$((SECONDS + $1))
    while :; do
        left=$(psql_value "SELECT count(*) FROM outbox WHERE 'account' = ANY (pending)")
        [ "$left" = 0 ] && return 0
        [ $SECONDS -lt $end ] || fail "$left outbox rows still wait for an account shard"
        sleep 0.2
    done
}

# chaos_audit WHAT: `walletflow audit` must pass (it reads one snapshot, so a load may run).
chaos_audit() {
    "$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || {
        cat "$E2E_TMP/audit.out" >&2
        fail "audit after $1"
    }
}

# chaos_ledger [ACKS] [SQL]: checks the movements acknowledged since the phase started (lines of
# ACKS, default $CHAOS_ACKS) against the events table. Sets CHAOS_ACKED, CHAOS_LOST,
# CHAOS_DUPLICATED and CHAOS_UNACKED (movements of the test's accounts that no client was told
# about, over the whole test). Run with the load stopped and the outbox drained, so every credit
# leg had its chance. SQL runs first, in the same transaction, which is rolled back (self-test).
chaos_ledger() {
    local acks=${1:-$CHAOS_ACKS} csv="$E2E_TMP/acks.csv" out
    # Line number, kind (a refund's by what it refunds), account, id, destination: no field holds a
    # comma or a quote.
    awk '{ print NR "," $0 }' "$acks" | node -e 'require("readline").createInterface({input: process.stdin})
        .on("line", (l) => { const i = l.indexOf(","), a = JSON.parse(l.slice(i + 1));
            const kind = a.kind !== "refund" ? a.kind : a.sign < 0 ? "refund-deposit" : "refund-withdraw";
            console.log([l.slice(0, i), kind, a.account, a.id, a.destination || ""].join(",")); });' \
        >"$csv"
    out=$(psql "$WF_PG_URL" -v ON_ERROR_STOP=1 -Atq -F ' ' <<SQL
BEGIN;
${2:-}
CREATE TEMP TABLE acks (n int, kind text, account uuid, id text, destination text);
\copy acks FROM '$csv' WITH (FORMAT csv)
CREATE TEMP TABLE legs AS
    SELECT n, account AS stream, CASE kind WHEN 'deposit' THEN 'MoneyDeposited'
        WHEN 'withdraw' THEN 'MoneyWithdrawn' WHEN 'refund-deposit' THEN 'DepositRefunded'
        WHEN 'refund-withdraw' THEN 'WithdrawalRefunded' ELSE 'TransferSent' END AS type, id FROM acks
    UNION ALL SELECT n, destination::uuid, 'TransferReceived', id FROM acks WHERE kind = 'transfer';
CREATE TEMP TABLE moves AS
    SELECT stream_id, type, data->>'transactionId' AS id FROM events
    WHERE stream_id IN (SELECT stream FROM legs) AND type IN
        ('MoneyDeposited', 'MoneyWithdrawn', 'TransferSent', 'TransferReceived', 'TransferRefunded',
         'DepositRefunded', 'WithdrawalRefunded');
WITH found AS (
    SELECT l.n, count (m.id) AS times FROM legs l
    LEFT JOIN moves m ON m.stream_id = l.stream AND m.type = l.type AND m.id = l.id
    WHERE l.n > $CHAOS_PHASE_FROM GROUP BY l.n, l.stream, l.type)
SELECT (SELECT count (*) FROM acks WHERE n > $CHAOS_PHASE_FROM),
       count (DISTINCT n) FILTER (WHERE times = 0),
       count (DISTINCT n) FILTER (WHERE times > 1),
       (SELECT count (*) FROM moves WHERE type <> 'TransferReceived'
            AND id NOT IN (SELECT id FROM acks))
FROM found;
ROLLBACK;
SQL
) || fail "the ledger query failed"
    read -r CHAOS_ACKED CHAOS_LOST CHAOS_DUPLICATED CHAOS_UNACKED <<<"$out"
}

# chaos_ledger_selftest: the ledger sees a loss, a duplicate and an unacknowledged movement when
# there is one (a made-up acknowledgement; a copy of an acknowledged event, rolled back; an
# acknowledgement left out).
chaos_ledger_selftest() {
    local acks="$E2E_TMP/acks.selftest" last id
    last=$(tail -n 1 "$CHAOS_ACKS")
    id=$(chaos_json j.id <<<"$last")
    { cat "$CHAOS_ACKS"; chaos_json '({...j, id: "00000000-0000-4000-8000-000000000000"})' <<<"$last"; } >"$acks"
    chaos_ledger "$acks"
    [ "$CHAOS_LOST" = 1 ] || fail "ledger self-test: a made-up acknowledgement is not lost ($CHAOS_LOST)"
    chaos_ledger "" "INSERT INTO events (stream_id, version, type, data, occurred_at) SELECT
        stream_id, version + 1000000, type, data, occurred_at FROM events
        WHERE data->>'transactionId' = '$id' AND type <> 'TransferReceived';"
    [ "$CHAOS_DUPLICATED" = 1 ] || fail "ledger self-test: a copied event is no duplicate ($CHAOS_DUPLICATED)"
    head -n -1 "$CHAOS_ACKS" >"$acks"
    chaos_ledger "$acks"
    [ "$CHAOS_UNACKED" = 1 ] || fail "ledger self-test: an unlisted movement is not seen ($CHAOS_UNACKED)"
    pass "ledger self-test: a loss, a duplicate and an unacknowledged movement are each seen"
}

# chaos_row FAULT ROUNDS: drains, checks the ledger and the audit for the phase (begun at
# CHAOS_PHASE_S), adds its row to the table, and fails when anything was lost, duplicated or
# applied unacknowledged.
chaos_row() {
    chaos_drained 30
    chaos_ledger
    chaos_audit "$1"
    printf '%-34s %6s %14s %6s %11s %15s %8s\n' "$1" "$2" "$CHAOS_ACKED" "$CHAOS_LOST" \
        "$CHAOS_DUPLICATED" "$CHAOS_UNACKED" "$((SECONDS - ${CHAOS_PHASE_S:-0}))" >>"$CHAOS_TABLE"
    [ "$CHAOS_ACKED" -gt 0 ] || fail "$1: no movement acknowledged"
    [ "$CHAOS_LOST" = 0 ] || fail "$1: $CHAOS_LOST acknowledged movements lost"
    [ "$CHAOS_DUPLICATED" = 0 ] || fail "$1: $CHAOS_DUPLICATED acknowledged movements applied twice"
    [ "$CHAOS_UNACKED" = 0 ] || fail "$1: $CHAOS_UNACKED movements applied but never acknowledged"
    pass "$1 ($2 rounds): $CHAOS_ACKED acknowledged, none lost or duplicated; audit passes"
}

# chaos_table: prints the table of every phase so far.
chaos_table() {
    printf '%-34s %6s %14s %6s %11s %15s %8s\n' fault rounds acknowledged lost duplicated \
        "unacked applied" seconds
    cat "$CHAOS_TABLE"
}

# chaos_latency_max FROM_MS TO_MS: the slowest answer to a request started in [FROM_MS, TO_MS).
chaos_latency_max() {
    read -r _ _ _ max <<<"$(amqp_latency "$CHAOS_LATENCY" "$1" "$2")"
    echo "$max"
}
