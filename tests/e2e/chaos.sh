#!/usr/bin/env bash
# chaos.sh - fault injection under a money load (issue 9, part 5).
#
# Clients move money through HTTP (load.mjs: one Idempotency-Key per movement, ambiguous answers
# retried with it until definitive) while, one phase per fault:
#   kill9     walletflow is killed with -9 at a random moment, restarted, and audited while the
#             load goes on; CHAOS_KILL_ROUNDS times (default 3; deploy/chaos.sh runs more);
#   postgres  the stack's PostgreSQL stops for 5 s: money commands fail fast (503 problem+json,
#             no request near the 5 s request deadline), a refused command retried afterwards
#             with its key applies once, and everything resumes by itself, actors that stayed
#             idle through the outage included (their first request after it succeeds);
#   redis     Redis stops: commands and reads go on (no 5xx), /health says Degraded;
#   rabbitmq  RabbitMQ stops for 5 s: commands still acknowledged (no 5xx); afterwards every
#             outbox row with the amqp destination reaches a consumer (amqp_lib.sh);
#   worker    a split deployment (broker+front+the rest, and two processes serving every account
#             shard): one account process is killed with -9 and restarted, CHAOS_WORKER_ROUNDS
#             times (default 2), then stalled (SIGSTOP) for 3 s and resumed, CHAOS_STALL_ROUNDS
#             times (default 1); the other serves meanwhile.
# After each phase the outbox drains, every movement acknowledged in it is in the event store
# exactly once (its credit leg too), no movement is there that nobody acknowledged, and
# `walletflow audit` passes. A table ends the output: fault, rounds, acknowledged, lost,
# duplicated, applied unacknowledged. CHAOS_FAULTS picks phases (default: all, in that order).
# The dependency faults stop and start the stack named by WF_VAR_DIR and its ports (deploy/test.sh
# or deploy/chaos.sh export them); a trap starts a stopped service again whatever happens.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/amqp_lib.sh"
source "$(dirname "$0")/chaos_lib.sh"
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: run through deploy/test.sh}"
# The load comes from one address on purpose: the front's rate limits would refuse most of it.
export WF_RATE_LIMIT=0
FAULTS=${CHAOS_FAULTS:-kill9 postgres redis rabbitmq worker}
KILL_ROUNDS=${CHAOS_KILL_ROUNDS:-3}
WORKER_ROUNDS=${CHAOS_WORKER_ROUNDS:-2}
STALL_ROUNDS=${CHAOS_STALL_ROUNDS:-1}
STALL_S=3 # longer than the broker's liveness (--heartbeat-ms 250 here)
PG_DOWN_S=5
AMQP_DOWN_S=5
FAIL_FAST_MS=2500 # half the request deadline (--request-timeout-ms, 5000)
STARTED_S=$SECONDS

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-chaos-secret-0123456789abcdef0123456789abcdef}
ARGS=(--http-port "$PORT" --http-interface 127.0.0.1 --argon2-ops 1 --argon2-mem-kib 8192
    --jwt-ttl-s 7200 --amqp-url "$WF_AMQP_URL")

# chaos_start NAME ARGS...: starts walletflow, waits until ready; sets WF_PID.
chaos_start() {
    local name=$1
    start_walletflow "$@"
    local var="${name}_PID"
    WF_PID=${!var}
    wait_http "$BASE/health/ready" 200 60
}

# chaos_kill9 PID: kill -9, and wait until it has gone (its port free for the restart).
chaos_kill9() {
    kill -9 "$1"
    wait "$1" 2>/dev/null || true
    chaos_forget "$1"
}

# only_settled WHAT: the load's answers were all 200, 201 (holds placed) or 422 (no 5xx, no network error).
only_settled() {
    grep -qE '^\{("(200|201|422)":[0-9]+,?)+\}$' <<<"$CHAOS_COUNTS" ||
        fail "$1: the load saw answers other than 200/201/422: $CHAOS_COUNTS"
}

# user_field N FIELD: a field of the Nth load user (token, account).
user_field() {
    chaos_json "j[$1].$2" "$CHAOS_USERS"
}

phase_kill9() {
    local r delay
    for ((r = 1; r <= KILL_ROUNDS; r++)); do
        # A random moment: 0.2 to 2.5 s into a stretch of load that has got going.
        delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.2 + 2.3 * r / 32767 }')
        sleep "$delay"
        chaos_kill9 "$WF_PID"
        chaos_start "wf_k$r" "${ARGS[@]}"
        chaos_audit "kill -9 round $r"
        chaos_wait_acks 30 60
        echo "    round $r: killed after ${delay} s, restarted, audit passes," \
            "$(chaos_acks) acknowledged so far"
    done
    chaos_load_stop
    echo "    answers: $CHAOS_COUNTS"
    chaos_row "kill -9 walletflow + restart" "$KILL_ROUNDS"
    chaos_ledger_selftest
}

phase_postgres() {
    local token account key="chaos-pg-$$-$RANDOM" stopped up probe_ms
    token=$(user_field 0 token)
    account=$(user_field 0 account)
    local deposit=(-H "authorization: Bearer $token" -H 'content-type: application/json'
        -H "idempotency-key: $key" -d '{"amount":1.23}')
    chaos_stop postgres
    stopped=$(now_ms)
    request POST "$BASE/api/accounts/$account/deposit" "${deposit[@]}"
    probe_ms=$(($(now_ms) - stopped))
    expect_status 503 "a deposit while PostgreSQL is down"
    expect_header 'content-type: application/problem\+json' "the 503 is problem+json"
    expect_body '"status":503' "the 503 is problem+json"
    [ "$probe_ms" -lt "$FAIL_FAST_MS" ] || fail "the refused deposit took $probe_ms ms"
    sleep "$PG_DOWN_S"
    chaos_up postgres
    up=$(now_ms)
    chaos_wait_acks 50 30
    pass "PostgreSQL down $(((up - stopped) / 1000)) s: 503 problem+json in $probe_ms ms; the load resumed by itself"
    # The refused deposit, retried with its key, applies once (it joins the ledger).
    request POST "$BASE/api/accounts/$account/deposit" "${deposit[@]}"
    expect_status 200 "the refused deposit retried after the outage"
    chaos_json "({kind: 'deposit', account: '$account', id: j.id, amount: 123})" <<<"$BODY" \
        >>"$CHAOS_ACKS"
    # Actors that had nothing to do during the outage serve their first request after it.
    request GET "$BASE/api/accounts/$account" -H "authorization: Bearer $token"
    expect_status 200 "the first read (query) after the outage"
    request GET "$BASE/api/auth/me" -H "authorization: Bearer $token"
    expect_status 200 "the first identity request after the outage"
    chaos_load_stop
    echo "    answers: $CHAOS_COUNTS"
    grep -qE '"503":[1-9]' <<<"$CHAOS_COUNTS" || fail "the load saw no 503 during the outage"
    local max
    max=$(chaos_latency_max "$stopped" "$up")
    echo "    slowest answer during the outage: $max ms"
    [ "$max" -lt "$FAIL_FAST_MS" ] || fail "a request took $max ms while PostgreSQL was down"
    wait_body "$BASE/health" '^Healthy$' 15
    chaos_row "PostgreSQL stopped ${PG_DOWN_S} s" 1
}

phase_redis() {
    local token account
    token=$(user_field 1 token)
    account=$(user_field 1 account)
    chaos_stop redis
    wait_body "$BASE/health" '^Degraded$' 10
    chaos_wait_acks 100 30
    request GET "$BASE/api/accounts/$account" -H "authorization: Bearer $token"
    expect_status 200 "a read while Redis is down"
    chaos_up redis
    chaos_wait_acks 50 30
    chaos_load_stop
    echo "    answers: $CHAOS_COUNTS"
    only_settled "Redis down"
    wait_body "$BASE/health" '^Healthy$' 15
    chaos_row "Redis stopped" 1
}

phase_rabbitmq() {
    local stopped
    chaos_stop rabbitmq
    stopped=$SECONDS
    chaos_wait_acks 100 30
    sleep $((AMQP_DOWN_S - (SECONDS - stopped) > 0 ? AMQP_DOWN_S - (SECONDS - stopped) : 0))
    chaos_up rabbitmq
    chaos_wait_acks 50 30
    chaos_load_stop
    echo "    answers: $CHAOS_COUNTS"
    only_settled "RabbitMQ down"
    amqp_wait_drained "$AMQP_MARK" 60
    amqp_expect_all "$AMQP_MARK" 30
    local collector=$COLLECT_PID
    amqp_collect_stop
    wait "$collector" 2>/dev/null || true
    chaos_forget "$collector"
    chaos_row "RabbitMQ stopped ${AMQP_DOWN_S} s" 1
}

phase_worker() {
    local broker metrics r victim
    broker=$(free_port)
    metrics=$(free_port)
    local split=(--broker "tcp://127.0.0.1:$broker" --metrics-endpoint "tcp://127.0.0.1:$metrics"
        --heartbeat-ms 250)
    chaos_start front --actors broker,front,health,identity,query,relay,notifier,system,amqp \
        --broker-bind "tcp://127.0.0.1:$broker" --metrics-endpoint "tcp://127.0.0.1:$metrics" \
        --heartbeat-ms 250 "${ARGS[@]}"
    local front=$WF_PID
    start_walletflow acct_a --actors account "${split[@]}"
    start_walletflow acct_b --actors account "${split[@]}"
    local workers=("$acct_a_PID" "$acct_b_PID")
    wait_body "$BASE/health" '^Healthy$' 30
    chaos_load_start "$BASE"
    chaos_wait_acks 100 60
    for ((r = 1; r <= WORKER_ROUNDS; r++)); do
        victim=$((RANDOM % 2))
        chaos_kill9 "${workers[$victim]}"
        chaos_wait_acks 100 30 # the other process serves every shard meanwhile
        start_walletflow "acct_r$r" --actors account "${split[@]}"
        local var="acct_r${r}_PID"
        workers[victim]=${!var}
        chaos_wait_acks 50 30
        echo "    round $r: account process $victim killed, the other served, restarted"
    done
    chaos_load_stop
    echo "    answers: $CHAOS_COUNTS"
    chaos_row "account worker kill -9 (split)" "$WORKER_ROUNDS"
    # A stalled worker (SIGSTOP: a long GC-like pause, a frozen VM) is dropped by the broker,
    # then wakes up with requests the clients were already told had failed.
    CHAOS_PHASE_S=$SECONDS
    chaos_load_start "$BASE"
    chaos_wait_acks 100 60
    for ((r = 1; r <= STALL_ROUNDS; r++)); do
        victim=$((RANDOM % 2))
        kill -STOP "${workers[$victim]}"
        sleep "$STALL_S"
        chaos_wait_acks 50 30
        kill -CONT "${workers[$victim]}"
        chaos_wait_acks 50 30
        echo "    round $r: account process $victim stalled ${STALL_S} s, resumed"
    done
    chaos_load_stop
    echo "    answers: $CHAOS_COUNTS"
    chaos_row "account worker stalled ${STALL_S} s (split)" "$STALL_ROUNDS"
    chaos_stopped "${workers[0]}" "an account process"
    chaos_stopped "${workers[1]}" "an account process"
    chaos_stopped "$front" "the front process"
}

chaos_start wf "${ARGS[@]}"
wait_body "$BASE/health" '^Healthy$' 15
for fault in $FAULTS; do
    echo "== $fault"
    CHAOS_PHASE_S=$SECONDS
    case $fault in
        worker)
            chaos_stopped "$WF_PID" walletflow
            ;;
        rabbitmq)
            AMQP_MARK=$(amqp_outbox_mark)
            amqp_collect_start
            ;;&
        *)
            chaos_load_start "$BASE"
            chaos_wait_acks 100 60
            ;;
    esac
    "phase_$fault"
done
echo
chaos_table
echo "chaos: $((SECONDS - STARTED_S)) s"
case " $FAULTS " in
    *" worker "*) ;;
    *) chaos_stopped "$WF_PID" walletflow ;;
esac
