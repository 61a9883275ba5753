#!/usr/bin/env bash
# amqp_tls.sh - the AMQP bridge and the health probe over amqps:// (TLS).
#
# The test stack's RabbitMQ speaks plain AMQP, so socat terminates TLS in front of it with a
# certificate for "localhost" signed by a CA made here. Then:
#   1. walletflow (every actor) with --amqp-url amqps://...@localhost:<tls port>/ and
#      --amqp-tls-ca <that CA>: the bridge connects with tls=on, /health shows rabbitmq Healthy,
#      and a registration's UserRegistered reaches an amqplib consumer under its message id;
#   2. the bridge alone with another CA: it refuses the server (certificate verification fails)
#      and never connects;
#   3. the same with --amqp-tls-verify 0: it connects (the flag works; tests only).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/amqp_lib.sh"
: "${WF_AMQP_URL:?WF_AMQP_URL is not set: run through deploy/test.sh}"
HERE="$AMQP_HERE"
command -v socat >/dev/null || { echo "SKIP: socat is not installed"; exit 77; }

# A CA and a server certificate for localhost; a second CA that signed nothing here.
cd "$E2E_TMP"
for ca in ca other; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$ca.key" \
        -out "$ca.pem" -days 2 -subj "/CN=WalletFlow e2e $ca" 2>/dev/null
done
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key \
    -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
    -extfile server.ext 2>/dev/null
cd - >/dev/null

AMQP_PORT=$(sed -E 's#^amqps?://[^@]*@[^:/]+:([0-9]+).*#\1#' <<<"$WF_AMQP_URL")
CREDENTIALS=$(sed -E 's#^amqps?://([^@]*)@.*#\1#' <<<"$WF_AMQP_URL")
TLS_PORT=$(free_port)
socat "OPENSSL-LISTEN:$TLS_PORT,bind=127.0.0.1,reuseaddr,fork,cert=$E2E_TMP/server.pem,key=$E2E_TMP/server.key,verify=0" \
    "TCP:127.0.0.1:$AMQP_PORT" 2>"$E2E_TMP/socat.log" &
E2E_PIDS+=("$!")
TLS_URL="amqps://$CREDENTIALS@localhost:$TLS_PORT/"
end=$((SECONDS + 10))
until (exec 3<>"/dev/tcp/127.0.0.1/$TLS_PORT") 2>/dev/null; do
    [ $SECONDS -lt $end ] || fail "socat did not listen on $TLS_PORT"
    sleep 0.1
done

# 1. The whole server over TLS.
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export WF_JWT_SECRET=${WF_JWT_SECRET:-e2e-amqp-tls-secret-0123456789abcdef0123456789ab}
start_walletflow wf --http-port "$PORT" --http-interface 127.0.0.1 --argon2-ops 1 \
    --argon2-mem-kib 8192 --amqp-url "$TLS_URL" --amqp-tls-ca "$E2E_TMP/ca.pem" --amqp-heartbeat-s 2
wait_http "$BASE/health/ready" 200 20
wait_body "$BASE/health" '"rabbitmq":\{"status":"Healthy"' 10 -H 'Accept: application/json'
grep -qE "actor=amqp event=connected host=localhost port=$TLS_PORT .*tls=on heartbeat_s=2" \
    "$E2E_TMP/wf.log" || fail "the bridge did not log a TLS connection with heartbeat 2 s"
MARK=$(amqp_outbox_mark)
amqp_collect_start
request POST "$BASE/api/auth/register" -H 'content-type: application/json' \
    -d "{\"email\":\"tls.$$.$RANDOM@example.com\",\"firstName\":\"Tls\",\"lastName\":\"Check\",\"password\":\"Str0ng!Passw0rd\"}"
expect_status 201 "register"
amqp_wait_drained "$MARK" 15
amqp_expect_all "$MARK" 10
amqp_collect_stop
pass "amqps:// with --amqp-tls-ca: bridge and health probe connected, events delivered"
stop_process "$wf_PID" 20

# 2. Another CA: the certificate does not verify, so the bridge never connects.
BROKER=$(free_port)
start_walletflow wrong --actors broker,amqp --broker-bind "tcp://127.0.0.1:$BROKER" \
    --amqp-url "$TLS_URL" --amqp-tls-ca "$E2E_TMP/other.pem"
end=$((SECONDS + 10))
until grep -q 'actor=amqp event=connect_failed' "$E2E_TMP/wrong.log"; do
    [ $SECONDS -lt $end ] || fail "no connect_failed with a CA that did not sign the server"
    sleep 0.1
done
grep 'actor=amqp event=connect_failed' "$E2E_TMP/wrong.log" | head -n 1 | sed 's/^/    /'
grep -qi 'verif' "$E2E_TMP/wrong.log" || fail "connect_failed does not say the verification failed"
grep -q 'actor=amqp event=connected' "$E2E_TMP/wrong.log" && fail "connected despite a foreign CA"
stop_process "$wrong_PID" 20
pass "a server certificate from another CA is refused"

# 3. --amqp-tls-verify 0 accepts it (never in production: the configuration refuses).
start_walletflow noverify --actors broker,amqp --broker-bind "tcp://127.0.0.1:$BROKER" \
    --amqp-url "$TLS_URL" --amqp-tls-ca "$E2E_TMP/other.pem" --amqp-tls-verify 0
end=$((SECONDS + 10))
until grep -q 'actor=amqp event=connected' "$E2E_TMP/noverify.log"; do
    [ $SECONDS -lt $end ] || fail "--amqp-tls-verify 0 did not connect"
    sleep 0.1
done
stop_process "$noverify_PID" 20
pass "--amqp-tls-verify 0 connects without checking"
