#!/usr/bin/env bash
#  tests/fuzz/seeds.sh - writes the seed corpora of the fuzz targets (all but msg,
#  whose seeds come from wf_msg_make_corpus). Run from anywhere; it rewrites
#  tests/fuzz/<target>/corpus/seed_* and leaves other files (crash reproducers
#  added after a fix) alone. Each seed is one meaningful input: a valid one per
#  message kind, and the interesting refusals.
# $ALICE and friends in single quotes are the http target's placeholders, not shell variables.
# shellcheck disable=SC2016
set -euo pipefail
FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)

ALICE=11111111-1111-4111-8111-111111111111
BOB=22222222-2222-4222-8222-222222222222
ACCOUNT=aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
REFRESH=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA # 43 base64url chars

#  seed TARGET NAME: stdin becomes tests/fuzz/TARGET/corpus/seed_NAME
seed () {
    mkdir -p "$FUZZ_DIR/$1/corpus"
    cat > "$FUZZ_DIR/$1/corpus/seed_$2"
}

#  mode BYTE: the selector byte most targets read first (printf octal)
mode () {
    # shellcheck disable=SC2059 # the format is the octal escape of the byte
    printf "\\$(printf '%03o' "$1")"
}

for target in account amqp config http identity jwt signalr; do
    rm -f "$FUZZ_DIR/$target/corpus/seed_"*
done

# --- http: one request per route, refusals, and replies --------------------------------------
JSON='content-type: application/json'
#  with_reply NAME MSG_SEED: the request on stdin, answered with a msg seed (type byte + body)
with_reply () { { cat; printf '\n--reply--\n'; cat "$FUZZ_DIR/msg/corpus/$2"; } | seed http "$1"; }
printf 'GET /health\naccept: application/json\n' | seed http health_json
printf 'GET /health/live\n' | seed http health_live
printf 'GET /metrics\n' | seed http metrics
printf 'POST /api/system/info\n%s\n\n{"probe":"hello"}' "$JSON" | seed http system_info_post
printf 'POST /api/accounts/%s/deposit\nauthorization: Bearer $ALICE\n%s\n\n{"amount":"100.50"}' $ACCOUNT "$JSON" | with_reply deposit_reply body_account_transaction
printf 'GET /api/accounts/%s\nauthorization: Bearer $ALICE\n' $ACCOUNT | with_reply account_reply body_account_info
printf 'GET /api/accounts\nauthorization: Bearer $ALICE\n' | with_reply accounts_list_reply body_account_list
printf 'GET /api/accounts/%s/transactions\nauthorization: Bearer $ALICE\n' $ACCOUNT | with_reply history_reply body_account_history
printf 'GET /api/transfers/%s\nauthorization: Bearer $ALICE\n' $ACCOUNT | with_reply transfer_reply body_account_transfer
printf 'POST /api/auth/login\n%s\n\n{"email":"ana@example.com","password":"x"}' "$JSON" | with_reply login_reply body_identity_auth_reply
printf 'GET /api/auth/me\nauthorization: Bearer $ALICE\n' | with_reply me_reply body_identity_user_reply
printf 'POST /api/auth/logout\n%s\n\n{"refreshToken":"%s"}' "$JSON" $REFRESH | with_reply logout_reply body_identity_logout_reply
printf 'POST /api/accounts/%s/withdraw\nauthorization: Bearer $ALICE\n%s\n\n{"amount":1}' $ACCOUNT "$JSON" | with_reply withdraw_error_reply body_error_one
printf 'GET /api/accounts/%s\nauthorization: Bearer $ALICE\n' $ACCOUNT | with_reply account_error_reply body_error_full_list
printf 'GET /api/system/info\n' | with_reply system_info_reply body_system_info_reply
printf 'POST /api/auth/register\n%s\n\n{"email":" Ana@Example.com ","firstName":"Ana","lastName":"Díaz","password":"Str0ng!Passw0rd","confirmPassword":"Str0ng!Passw0rd"}' "$JSON" | seed http register
printf 'POST /api/auth/register\n%s\n\n{"email":5,"firstName":null,"lastName":"","password":"short"}' "$JSON" | seed http register_bad
printf 'POST /api/auth/login\n%s\n\n{"email":"ana@example.com","password":"Str0ng!Passw0rd"}' "$JSON" | seed http login
printf 'POST /api/auth/login\ncontent-type: text/plain\n\n{"email":"ana@example.com"}' | seed http login_wrong_type
printf 'POST /api/auth/refresh\n%s\n\n{"refreshToken":"%s","accessToken":"x.y.z"}' "$JSON" $REFRESH | seed http refresh
printf 'POST /api/auth/logout\n%s\n\n{"refreshToken":"%s"}' "$JSON" $REFRESH | seed http logout
printf 'GET /api/auth/me\nauthorization: Bearer $ALICE\n' | seed http me
printf 'GET /api/auth/me\nauthorization: Bearer $EXPIRED\n' | seed http me_expired
printf 'GET /api/auth/me\nauthorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\n' | seed http me_basic
printf 'GET /api/users/%s\nauthorization: bearer   $ALICE  \n' $ALICE | seed http user_self
printf 'GET /api/users/%s\nauthorization: Bearer $BOB\n' $ALICE | seed http user_other
printf 'GET /api/accounts\nauthorization: Bearer $ALICE\n' | seed http accounts_list
printf 'POST /api/accounts\nauthorization: Bearer $ALICE\n%s\n\n{"currency":"USD"}' "$JSON" | seed http account_open
printf 'POST /api/accounts/%s/deposit\nauthorization: Bearer $ALICE\n%s\nidempotency-key: k1\n\n{"amount":100.50,"description":"salary"}' $ACCOUNT "$JSON" | seed http deposit
printf 'POST /api/accounts/%s/deposit\nauthorization: Bearer $ALICE\n%s\n\n{"amount":"1e309","amount":1}' $ACCOUNT "$JSON" | seed http deposit_hostile
printf 'POST /api/accounts/%s/withdraw\nauthorization: Bearer $BOB\n%s; charset=utf-8\n\n{"amount":"0.01","currency":"ARS"}' $ACCOUNT "$JSON" | seed http withdraw
printf 'POST /api/accounts/%s/transfer\nauthorization: Bearer $ALICE\n%s\n\n{"destinationAccountId":"%s","amount":5,"description":"rent"}' $ACCOUNT "$JSON" $BOB | seed http transfer
printf 'GET /api/accounts/%s/transactions?limit=20&before=100\nauthorization: Bearer $ALICE\n' $ACCOUNT | seed http history
printf 'GET /api/accounts/%s/transactions?limit=abc\nauthorization: Bearer $ALICE\n' $ACCOUNT | seed http history_bad
printf 'POST /api/accounts/%s/suspend\nauthorization: Bearer $ADMIN\n%s\n\n{"reason":"fraud"}' $ACCOUNT "$JSON" | seed http suspend
printf 'POST /api/accounts/%s/reactivate\nauthorization: Bearer $ADMIN\n' $ACCOUNT | seed http reactivate
printf 'GET /api/transfers/%s\nauthorization: Bearer $ALICE\n' $ACCOUNT | seed http transfer_get
printf 'DELETE /api/accounts\n' | seed http wrong_method
printf 'GET /api/accounts/..%%2f..%%2fetc/passwd\n' | seed http traversal

# --- account: amounts, JSON documents, account numbers, currencies, events --------------------
printf '100.50' | seed account amount
printf '9007199254740993' | seed account amount_beyond_double
printf '0.0001' | seed account amount_four_digits
printf '1e309' | seed account amount_exponent
printf '922337203685477.5807' | seed account amount_int64_max
printf '{"amount":"100.50","currency":"USD","description":"caf\\u00e9"}' | seed account json_body
printf '{"a":{"b":[1,2,{"c":null}]},"d":true,"e":-0.5e-3}' | seed account json_nested
printf 'ARS' | seed account currency
printf 'CLF' | seed account currency_four_digits
printf 'AR0120261126000000012K' | seed account account_number
printf '{"type":"MoneyDeposited","amount":10050,"balanceAfter":10050,"currency":"ARS","transactionId":"%s","occurredAt":1700000000000}' $ACCOUNT | seed account event

# --- identity: register / login fields, emails, refresh tokens ---------------------------------
{ mode 0; printf ' Ana@Example.com \nAna\nDíaz\nStr0ng!Passw0rd\nStr0ng!Passw0rd'; } | seed identity register
{ mode 0; printf 'ana@example\n\n\x01\nweak\nother'; } | seed identity register_bad
{ mode 1; printf 'ANA@example.COM\nx'; } | seed identity login
{ mode 2; printf 'first.last+tag@sub.example-domain.org'; } | seed identity email
{ mode 2; printf 'a@b\xc0\xaf.com'; } | seed identity email_overlong_utf8
{ mode 3; printf '%s' $REFRESH; } | seed identity refresh_token

# --- jwt: tokens, signed headers and claims, issue round trips, tampering ---------------------
b64 () { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }
HEADER=$(b64 '{"alg":"HS256","typ":"JWT"}')
CLAIMS=$(b64 '{"sub":"'$ALICE'","email":"ana@example.com","jti":"j1","firstName":"Ana","lastName":"Diaz","role":"User","iat":1699999000,"nbf":1699999000,"exp":1700000900,"iss":"WalletFlow.Identity","aud":"WalletFlow"}')
{ mode 0; printf '%s.%s.c2lnbmF0dXJl' "$HEADER" "$CLAIMS"; } | seed jwt token_bad_signature
{ mode 0; printf '%s.%s.' "$(b64 '{"alg":"none"}')" "$CLAIMS"; } | seed jwt token_alg_none
{ mode 1; printf '%s.%s' "$HEADER" "$CLAIMS"; } | seed jwt signed_valid
{ mode 1; printf '%s.%s' "$HEADER" "$(b64 '{"sub":"x","iss":"WalletFlow.Identity","aud":["other","WalletFlow"],"exp":1700000900,"nbf":1700000100}')"; } | seed jwt signed_not_yet_valid
{ mode 1; printf '%s.%s' "$(b64 '{"alg":"HS256","crit":["b64"]}')" "$CLAIMS"; } | seed jwt signed_crit
{ mode 2; printf '%s\nana@example.com\nAna\nDíaz\nUser' $ALICE; } | seed jwt issue
{ mode 3; printf '\x00\x10A'; } | seed jwt tamper_header
{ mode 3; printf '\x01\x20\x2e'; } | seed jwt tamper_dot

# --- signalr: handshakes, JSON and MessagePack records, queries, varints, tokens ---------------
RS=$'\x1e'
{ mode 0; printf '{"protocol":"json","version":1}%s{"type":6}%s{"type":1,"invocationId":"1","target":"Send","arguments":[1]}%s' "$RS" "$RS" "$RS"; } | seed signalr handshake_json
{ mode 0; printf '{"protocol":"messagepack","version":2}%s' "$RS"; printf '\x02\x91\x06'; } | seed signalr handshake_msgpack
{ mode 2; printf '{"type":8,"sequenceId":3}%s{"type":9,"sequenceId":4}%s{"type":7,"error":"bye","allowReconnect":true}%s' "$RS" "$RS" "$RS"; } | seed signalr json_ack_sequence_close
{ mode 1; printf '\x03\x92\x08\x05'; printf '\x03\x92\x09\x07'; printf '\x05\x92\x07\xa2no'; } | seed signalr msgpack_ack_sequence_close
{ mode 1; printf '\x0d\x96\x01\x80\xa1\x31\xa4Send\x91\x01\x90'; } | seed signalr msgpack_invocation
{ mode 3; printf 'id=abc&access_token=x.y.z&negotiateVersion=1&useStatefulReconnect=true'; } | seed signalr query
{ mode 4; printf '\xff\xff\xff\xff\x0f'; } | seed signalr varint
{ mode 5; printf '\x01%s' $ALICE; } | seed signalr connection_token

# --- config: flags and environment --------------------------------------------------------------
printf -- '--actors\nbroker,front\n--http-port=8080\n--broker-bind\ntcp://*:5555' | seed config flags
printf 'WF_PG_URL=postgresql://postgres@127.0.0.1:5432/walletflow\nWF_SHARDS=0,2\nWF_ACCOUNT_SHARDS=4\n--mode\nproduction' | seed config env
printf -- '--actors\naccount\n--broker\ntcp://10.0.0.1:5555\n--pg-url\npostgresql://x\n--shards\n1,3,3' | seed config worker
printf -- '--http-port\n99999\n--unknown' | seed config bad
printf -- '--help' | seed config help

# --- amqp: outbox rows and URLs -----------------------------------------------------------------
{ mode 0; printf 'MoneyDeposited\n%s\n{"accountId":"%s","amount":10050,"balanceAfter":20050,"currency":"ARS","transactionId":"%s","occurredAt":"2026-11-26T20:00:00Z"}' $ACCOUNT $ACCOUNT $BOB; } | seed amqp money_deposited
{ mode 0; printf 'UserRegistered\n%s\n{"userId":"%s","email":"ana@example.com","firstName":"Ana","lastName":"Diaz","occurredAt":"2026-11-26T20:00:00Z"}' $ALICE $ALICE; } | seed amqp user_registered
{ mode 0; printf 'TransferSent\n%s\n{"accountId":"%s","destinationAccountId":"%s","transactionId":"%s","amount":1,"balanceAfter":0,"currency":"CLF","occurredAt":"2026-11-26T20:00:00.001Z"}' $ACCOUNT $ACCOUNT $BOB $ALICE; } | seed amqp transfer_sent
{ mode 0; printf 'AccountOpened\n%s\n{"accountId":"%s","ownerId":"%s","accountNumber":"AR0120261126000000012K","currency":"USD","occurredAt":"2026-11-26T20:00:00Z"}' $ACCOUNT $ACCOUNT $ALICE; } | seed amqp account_opened
{ mode 1; printf 'amqps://user:p%%40ss@rabbit.example:5671/%%2Fprod'; } | seed amqp url
{ mode 1; printf 'amqp://guest:guest@127.0.0.1:55682/'; } | seed amqp url_default_vhost
echo "seeds written under $FUZZ_DIR/*/corpus"
