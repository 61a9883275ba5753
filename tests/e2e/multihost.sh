#!/usr/bin/env bash
# multihost.sh - three hosts as network namespaces on one bridge, CURVE on the
# broker's tcp endpoint:
#   host A: broker + front + health            (the HTTP entry)
#   host B: account shards 0..N/2-1 + identity
#   host C: shards N/2..N-1 + relay + query + notifier + amqp bridge + system,
#           and a standby process serving host B's shards and identity
# PostgreSQL, Redis and RabbitMQ of the stack listen on 127.0.0.1 in the root
# namespace; socat forwards the bridge's root address to them, so no server
# configuration changes.
# 1. A worker with a key the broker does not allow, on host B, never registers.
# 2. A money load runs through host A; host B's processes are killed (-9)
#    mid-load: the broker routes host B's shards to host C's standby, so
#    requests go on being served while B is down (counted, per host B's
#    shards); B starts again and re-registers.
# 3. Every acknowledged movement is present once (verify.mjs), the outbox
#    drains and `walletflow audit` passes.
# 4. Host C's notifier reaches host A's SignalR hub (a transfer's
#    BalanceUpdated arrives), and B's and C's metrics reach A's /metrics.
# 5. tshark captured the hosts' tcp traffic: the broker's, the metrics' and
#    the notifier's connections carry a CURVE greeting and no plain-text
#    protocol, field or metric name, while such names are readable on the
#    (unencrypted) PostgreSQL link - the check sees them when they are there.
# Exit 77 (skip) only where network namespaces cannot be made (not root, no
# iproute2, no permission).
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
LOAD_SECONDS=${WF_MULTIHOST_LOAD_SECONDS:-24}
SHARDS=4

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
command -v ip >/dev/null || skip "iproute2 (ip) is not installed: network namespaces unavailable"
command -v socat >/dev/null || fail "socat is not installed (deploy/deps.sh installs it)"
command -v tshark >/dev/null || fail "tshark is not installed (deploy/deps.sh installs it)"

# Every name this test creates starts with wfmh- / wfmb / wfv and the pid.
TAG=$$
NET=10.213.$((TAG % 200 + 20))
BRIDGE=wfmb$TAG
NS_A=wfmh-$TAG-a NS_B=wfmh-$TAG-b NS_C=wfmh-$TAG-c
SOCATS=()
net_cleanup() {
    local pid
    for pid in "${SOCATS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    for ns in "$NS_A" "$NS_B" "$NS_C"; do
        # A process left in the namespace would keep it: kill what runs there.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
}
trap 'e2e_cleanup; net_cleanup' EXIT

ip netns add "$NS_A" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
ip link add "$BRIDGE" type bridge 2>/dev/null || skip "cannot create a bridge here"
ip addr add "$NET.1/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
ip netns add "$NS_B"
ip netns add "$NS_C"
host=2
for ns in "$NS_A" "$NS_B" "$NS_C"; do
    ip link add "wfv$TAG$host" type veth peer name eth0 netns "$ns"
    ip link set "wfv$TAG$host" master "$BRIDGE" up
    ip -n "$ns" addr add "$NET.$host/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    host=$((host + 1))
done
A=$NET.2 B=$NET.3 C=$NET.4
VETH_A=wfv${TAG}2 VETH_C=wfv${TAG}4
pass "three namespaces on one bridge: A=$A B=$B C=$C"

# The stack servers, reached from the namespaces through the bridge address.
# forward URL VAR: socat from the bridge address to the URL's 127.0.0.1 port;
# sets VAR to the URL as the namespaces see it.
forward() {
    local url=$1 port
    port=$(sed -E 's#^[a-z]+://([^@/]*@)?127\.0\.0\.1:([0-9]+).*#\2#' <<<"$url")
    [[ "$port" =~ ^[0-9]+$ ]] || fail "cannot find a 127.0.0.1 port in $url"
    socat "TCP-LISTEN:$port,bind=$NET.1,reuseaddr,fork" "TCP:127.0.0.1:$port" >/dev/null 2>&1 &
    SOCATS+=($!)
    printf -v "$2" '%s' "${url/127.0.0.1:$port/$NET.1:$port}"
}
forward "$WF_PG_URL" PG
forward "${WF_REDIS_URL:?}" REDIS
forward "${WF_AMQP_URL:?}" AMQP
PG_PORT=$(sed -E 's#^[a-z]+://([^@/]*@)?127\.0\.0\.1:([0-9]+).*#\2#' <<<"$WF_PG_URL")
sleep 0.3
ip netns exec "$NS_B" psql "$PG" -Atc 'select 1' >/dev/null || fail "host B cannot reach PostgreSQL at $PG"
pass "PostgreSQL, Redis and RabbitMQ reachable from the namespaces"

# Keys: the broker's, and one per host; the broker accepts the hosts' keys.
KEYS="$E2E_TMP/keys"
mkdir -p "$KEYS/allowed"
for name in broker host-a host-b host-c probe stranger; do
    "$WALLETFLOW" keygen "$KEYS" "$name" >/dev/null || fail "keygen $name"
done
cp "$KEYS"/host-?.cert "$KEYS/probe.cert" "$KEYS/allowed/"

HTTP=$(free_port) BROKER=$(free_port) METRICS=$(free_port) NOTIFY=$(free_port)
BASE="http://$A:$HTTP"

# The capture: host A's link (every broker connection) and host C's (its
# PostgreSQL traffic, the plain-text control), from before the first hello.
PCAP="$E2E_TMP/hosts.pcapng"
FILTER="tcp port $BROKER or tcp port $METRICS or tcp port $NOTIFY or tcp port $PG_PORT"
tshark -q -i "$VETH_A" -i "$VETH_C" -f "$FILTER" -w "$PCAP" \
    >"$E2E_TMP/tshark.out" 2>&1 &
TSHARK=$!
E2E_PIDS+=("$TSHARK")
for _ in $(seq 50); do grep -q "Capturing on" "$E2E_TMP/tshark.out" && break; sleep 0.1; done
grep -q "Capturing on" "$E2E_TMP/tshark.out" || fail "tshark did not start: $(cat "$E2E_TMP/tshark.out")"

export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-multihost-secret-0123456789abcdef0123456789}
export WF_PG_URL="$PG" WF_REDIS_URL="$REDIS" WF_AMQP_URL="$AMQP"
# The load comes from one address on purpose: the front's rate limits would refuse most of it.
export WF_RATE_LIMIT=0
COMMON=(--account-shards "$SHARDS" --heartbeat-ms 200 --metrics-endpoint "tcp://$A:$METRICS"
        --notifier-endpoint "tcp://$C:$NOTIFY" --amqp-tls-verify 0)
WORKER=("${COMMON[@]}" --broker "tcp://$A:$BROKER" --curve-server-key "$KEYS/broker.cert")
HALF=$((SHARDS / 2))
B_SHARDS=$(seq -s, 0 $((HALF - 1)))
C_SHARDS=$(seq -s, "$HALF" $((SHARDS - 1)))
FAST_HASH=(--argon2-ops 1 --argon2-mem-kib 8192)

# start_on NS NAME ARGS...: runs walletflow inside a namespace (ip netns exec
# execs it, so the pid is walletflow's).
start_on() {
    local ns=$1 name=$2; shift 2
    ip netns exec "$ns" "$WALLETFLOW" "$@" >"$E2E_TMP/$name.log" 2>&1 &
    E2E_PIDS+=($!)
    printf -v "${name}_PID" '%s' "$!"
}
# host B's role: its shards and identity, with the key NAME.
start_b() {
    start_on "$NS_B" "$1" --actors account,identity --shards "$B_SHARDS" "${WORKER[@]}" \
        --curve-client-cert "$KEYS/$2.cert_secret" "${FAST_HASH[@]}"
}
# check SERVICE [KEY]: does the broker have a worker for it (asked from the
# root namespace, through CURVE with the probe's key)? Exit code of check-broker.
check() {
    "$WALLETFLOW" check-broker "$1" --broker "tcp://$A:$BROKER" --request-timeout-ms 1000 \
        --curve-client-cert "$KEYS/${2:-probe}.cert_secret" --curve-server-key "$KEYS/broker.cert" \
        >/dev/null 2>&1
}
wait_service() {
    local end=$((SECONDS + ${2:-30}))
    until check "$1"; do
        [ $SECONDS -lt $end ] || fail "service $1 never registered"
        sleep 0.2
    done
}

start_on "$NS_A" hosta --actors broker,front,health "${COMMON[@]}" --http-port "$HTTP" \
    --http-interface "$A" --broker-bind "tcp://$A:$BROKER" \
    --curve-server-cert "$KEYS/broker.cert_secret" --curve-allowed "$KEYS/allowed"
start_on "$NS_C" hostc --actors account,relay,query,notifier,amqp,system --shards "$C_SHARDS" \
    "${WORKER[@]}" --curve-client-cert "$KEYS/host-c.cert_secret"
wait_service query 30

# Host B with a key the broker does not know: its workers never register.
start_b stranger stranger
sleep 2
set +e; check identity; rc=$?; set -e
[ "$rc" = 3 ] || fail "identity with a stranger's key: check-broker says $rc (3 = no worker)"
set +e; check system stranger; rc=$?; set -e
[ "$rc" = 1 ] || fail "a client with a stranger's key got an answer (check-broker $rc, want 1)"
kill -9 "$stranger_PID"
pass "host B with a key outside --curve-allowed: its workers never register, its client gets no answer"

start_b hostb host-b
for service in identity account.0 account.$((SHARDS - 1)) query system notifier; do
    wait_service "$service" 30
done
wait_http "$BASE/health/ready" 200 30
# Host C's standby for host B's part: a second worker for each of B's shards.
start_on "$NS_C" standby --actors account,identity --shards "$B_SHARDS" "${WORKER[@]}" \
    --curve-client-cert "$KEYS/host-c.cert_secret" "${FAST_HASH[@]}"
pass "host A serves; hosts B and C (and C's standby for B's shards) registered through CURVE"

# Rows earlier tests left undelivered are claimed first (id order): let the
# relay drain them, or a new user's wallet may wait behind them.
backlog_wait() {
    local end=$((SECONDS + 90)) left
    while :; do
        left=$(psql "$1" -Atc "SELECT count(*) FROM outbox WHERE delivered_at IS NULL")
        [ "$left" = 0 ] && return 0
        [ $SECONDS -lt $end ] || fail "the outbox backlog of $left rows did not drain"
        sleep 0.5
    done
}
backlog_wait "$PG"
# The money load through host A, with host B killed in the middle.
ACKS="$E2E_TMP/acks.jsonl" USERS="$E2E_TMP/users.json" LAT="$E2E_TMP/latency.txt"
: >"$ACKS"
node "$HERE/load.mjs" "$BASE" 3 8 12 "$ACKS" "$USERS" >"$E2E_TMP/warmup.out" 2>&1 \
    || { cat "$E2E_TMP/warmup.out"; fail "warm-up load (registration through host B)"; }
LOAD_LATENCY_OUT="$LAT" node "$HERE/load.mjs" "$BASE" "$LOAD_SECONDS" 20 12 "$ACKS" "$USERS" \
    >"$E2E_TMP/load.out" 2>&1 &
LOAD=$!
sleep $((LOAD_SECONDS / 4))
down_ms=$(date +%s%3N)
kill -9 "$hostb_PID"
set +e; wait "$hostb_PID" 2>/dev/null; set -e
sleep $((LOAD_SECONDS / 4))
up_ms=$(date +%s%3N)
start_b hostb2 host-b
end=$((SECONDS + 30))
until grep -q '"started"\|event=started' "$E2E_TMP/hostb2.log"; do
    [ $SECONDS -lt $end ] || fail "host B did not start again"
    sleep 0.2
done
wait "$LOAD" || { cat "$E2E_TMP/load.out"; fail "load with host B killed"; }
echo "load: $(head -n 1 "$E2E_TMP/load.out")"

# Requests by phase, and those for accounts on host B's shards (FNV-1a of the
# account id, as proto/wf_shard.h) while B was down.
read -r before down down_b after <<<"$(python3 - "$LAT" "$down_ms" "$up_ms" "$SHARDS" "$HALF" <<'EOF'
import sys
path, down, up, shards, half = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def shard(text):
    h = 2166136261
    for byte in text.encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h % shards
before = during = during_b = after = 0
for line in open(path):
    f = line.split()
    if len(f) < 4 or f[2] != "200":
        continue
    start, end = int(f[0]), int(f[0]) + int(f[1])
    if end < down: before += 1
    elif start >= down and end <= up:
        during += 1
        during_b += shard(f[3]) < half
    elif start >= up: after += 1
print(before, during, during_b, after)
EOF
)"
echo "requests answered 200: before the kill $before; while host B was down" \
     "($(((up_ms - down_ms) / 1000)) s) $down, of them $down_b on host B's shards (served by" \
     "host C's standby); after B's return $after"
[ "$down" -gt 0 ] || fail "nothing was served while host B was down"
[ "$down_b" -gt 0 ] || fail "host B's shards were not served while B was down (standby)"
[ "$after" -gt 0 ] || fail "nothing was served after host B's return"
wait_service account.0 30
pass "host B killed mid-load and restarted; its shards kept serving from host C's standby"

end=$((SECONDS + 45))
left=?
while [ $SECONDS -lt $end ]; do
    left=$(psql "$PG" -Atc "SELECT count(*) FROM outbox WHERE 'account' = ANY (pending)")
    [ "$left" = 0 ] && break
    sleep 0.2
done
[ "$left" = 0 ] || fail "outbox still holds $left undelivered account deliveries"
node "$HERE/verify.mjs" "$BASE" "$USERS" "$ACKS" || fail "verify after host B's crash"
pass "every acknowledged movement present once; balances add up"
"$WALLETFLOW" audit >"$E2E_TMP/audit.out" 2>&1 || { cat "$E2E_TMP/audit.out"; fail "audit"; }
echo "$(tail -n 1 "$E2E_TMP/audit.out")"
pass "outbox drained; walletflow audit passes"

# Across the hosts: C's notifier -> A's hub (CURVE), B's and C's metrics -> A.
if [ -d "$HERE/node_modules/@microsoft/signalr-protocol-msgpack" ]; then
    HUB_WAIT_MS=20000 timeout 90 node "$HERE/hub_transfer.mjs" "$BASE" json \
        >"$E2E_TMP/hub.out" 2>&1 || { cat "$E2E_TMP/hub.out"; fail "hub notification across hosts"; }
    pass "a transfer's BalanceUpdated reached host A's hub from host C's notifier"
else
    fail "tests/e2e/node_modules is missing (npm ci in tests/e2e; deploy/test.sh does it)"
fi
metrics=$(curl -s --max-time 5 "$BASE/metrics")
grep -q "wf_account_batches_total{shard=\"0\"" <<<"$metrics" \
    && grep -q "wf_account_batches_total{shard=\"$((SHARDS - 1))\"" <<<"$metrics" \
    || fail "host A's /metrics lacks the shards' metrics of hosts B and C"
pass "hosts B's and C's metrics reach host A's /metrics"

# What the wire showed.
kill -INT "$TSHARK"
set +e; wait "$TSHARK" 2>/dev/null; set -e
tshark -r "$PCAP" -Y "tcp.len > 0" -T fields -e tcp.srcport -e tcp.dstport -e tcp.payload \
    2>/dev/null | python3 "$HERE/wire_check.py" "$BROKER" "$METRICS" "$NOTIFY" "$PG_PORT" \
    >"$E2E_TMP/wire.txt"
echo "captured between the hosts (port bytes curve markers):"
sed 's/^/    /' "$E2E_TMP/wire.txt"
read -r _ broker_bytes broker_curve broker_markers <<<"$(grep "^$BROKER " "$E2E_TMP/wire.txt")"
read -r _ _ _ pg_markers <<<"$(grep "^$PG_PORT " "$E2E_TMP/wire.txt")"
[ "${broker_bytes#bytes=}" -gt 100000 ] || fail "too little broker traffic captured ($broker_bytes)"
[ "$broker_curve" = curve=yes ] || fail "no CURVE greeting on the broker's connections"
[ "$broker_markers" = markers=- ] || fail "plain text on the broker's connections: $broker_markers"
for port in "$METRICS" "$NOTIFY"; do
    read -r _ bytes curve markers <<<"$(grep "^$port " "$E2E_TMP/wire.txt")"
    [ "${bytes#bytes=}" -gt 0 ] || fail "nothing captured on port $port"
    [ "$curve" = curve=yes ] || fail "no CURVE greeting on port $port"
    [ "$markers" = markers=- ] || fail "plain text on port $port: $markers"
done
[[ "$pg_markers" == *transactionId* ]] \
    || fail "the control failed: no field name seen on the plain PostgreSQL link ($pg_markers)"
pass "broker, metrics and notifier traffic between hosts is CURVE: no protocol, field or metric name in the clear"
