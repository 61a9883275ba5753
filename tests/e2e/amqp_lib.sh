# amqp_lib.sh - helpers of the AMQP delivery tests (sourced after lib.sh, bash).
#
# A recording consumer (amqp_collect.mjs) runs beside walletflow; at the end the set of message
# ids it received must contain every outbox row created since a mark that has the amqp
# destination. Duplicates are allowed (at least once), counted and printed.

export LC_ALL=C # sort, comm and join must agree on one order
AMQP_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -d "$AMQP_HERE/node_modules/amqplib" ] || (cd "$AMQP_HERE" && npm ci --no-audit --no-fund --silent) ||
    fail "npm ci failed in $AMQP_HERE"

# psql_value SQL: one value from the stack's database.
psql_value() {
    psql "$WF_PG_URL" -Atqc "$1"
}

# amqp_outbox_mark: prints the highest outbox id now (rows after it belong to this test).
amqp_outbox_mark() {
    psql_value "SELECT coalesce (max (id), 0) FROM outbox"
}

# amqp_collect_start: starts the recording consumer on a fresh durable queue; waits until it
# consumes. Sets COLLECT_PID and COLLECT_OUT.
amqp_collect_start() {
    COLLECT_OUT="$E2E_TMP/received.txt"
    : >"$COLLECT_OUT"
    : >"$E2E_TMP/collect.log"
    node "$AMQP_HERE/amqp_collect.mjs" "$WF_AMQP_URL" "wf-e2e-collect-$$-$RANDOM" "$COLLECT_OUT" \
        >"$E2E_TMP/collect.log" 2>&1 &
    COLLECT_PID=$!
    E2E_PIDS+=("$COLLECT_PID")
    local end=$((SECONDS + 20))
    until grep -q '^ready$' "$E2E_TMP/collect.log"; do
        kill -0 "$COLLECT_PID" 2>/dev/null || fail "the amqplib consumer exited: $(cat "$E2E_TMP/collect.log")"
        [ $SECONDS -lt $end ] || fail "the amqplib consumer was not ready within 20s"
        sleep 0.1
    done
}

# amqp_collect_stop: the consumer deletes its queue and exits.
amqp_collect_stop() {
    kill -TERM "$COLLECT_PID" 2>/dev/null || true
    local end=$((SECONDS + 10))
    while kill -0 "$COLLECT_PID" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
    COLLECT_PID=
}

# amqp_cleanup: the exit trap of these tests: the consumer deletes its queue, then lib.sh's cleanup.
amqp_cleanup() {
    [ -z "${COLLECT_PID:-}" ] || amqp_collect_stop
    e2e_cleanup
}
trap amqp_cleanup EXIT

# amqp_wait_drained MARK SECONDS: waits until no outbox row after MARK waits for amqp.
amqp_wait_drained() {
    local mark=$1 seconds=$2 left end=$((SECONDS + $2))
    while :; do
        left=$(psql_value "SELECT count(*) FROM outbox WHERE id > $mark AND delivered_at IS NULL AND 'amqp' = ANY (pending)")
        [ "$left" = 0 ] && return 0
        [ $SECONDS -lt $end ] || fail "$left outbox rows still wait for RabbitMQ ${seconds}s after the load"
        sleep 0.2
    done
}

# amqp_expect_all MARK SECONDS: waits until every outbox row after MARK with the amqp destination
# was received under its message_id; prints rows, received, duplicates. Fails naming the missing.
amqp_expect_all() {
    local mark=$1 end=$((SECONDS + $2)) missing
    local expected="$E2E_TMP/expected.ids" got="$E2E_TMP/got.ids" all="$E2E_TMP/all.ids"
    psql_value "SELECT message_id FROM outbox WHERE id > $mark AND 'amqp' = ANY (destinations)" |
        sort >"$expected"
    [ -s "$expected" ] || fail "no outbox row with the amqp destination after id $mark"
    while :; do
        awk '{print $1}' "$COLLECT_OUT" | sort >"$all"
        sort -u "$all" >"$got"
        missing=$(comm -23 "$expected" "$got" | wc -l)
        [ "$missing" = 0 ] && break
        [ $SECONDS -lt $end ] || {
            comm -23 "$expected" "$got" | head -5 >&2
            fail "$missing of $(wc -l <"$expected") outbox rows never reached the consumer"
        }
        sleep 0.2
    done
    local rows received duplicates others
    rows=$(wc -l <"$expected")
    received=$(join "$expected" "$all" | wc -l)
    duplicates=$((received - rows))
    others=$(comm -13 "$expected" "$got" | wc -l)
    echo "outbox rows with the amqp destination: $rows; messages received for them: $received;" \
        "duplicates: $duplicates; other messages (older rows, other publishers): $others"
    if [ "$duplicates" -gt 0 ]; then
        echo "duplicated message ids (first 5):"
        join "$expected" "$all" | uniq -d | head -5 | sed 's/^/    /'
    fi
    AMQP_ROWS=$rows
    AMQP_DUPLICATES=$duplicates
}

# amqp_latency FILE FROM_MS TO_MS: prints "n p50 p99 max" of the request latencies started in
# [FROM_MS, TO_MS) (load.mjs's LOAD_LATENCY_OUT lines: start_ms latency_ms status).
amqp_latency() {
    awk -v from="$2" -v to="$3" '$1 >= from && $1 < to {print $2}' "$1" | sort -n |
        awk '{v[NR] = $1} END {
            if (NR == 0) { print "0 - - -"; exit }
            p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
            print NR, p50, p99, v[NR] }'
}

now_ms() { date +%s%3N; }
