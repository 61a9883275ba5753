#!/usr/bin/env bash
# check.sh - interop of WalletFlow access tokens with npm's jose, both ways.
#
#   tests/e2e/jose/check.sh PATH/TO/wf_jwt_tool
#
# wf_jwt_tool issues -> jose's jwtVerify accepts (and refuses a wrong key,
# issuer, audience, and an expired token); jose's SignJWT issues -> wf_jwt_verify
# accepts (and refuses a wrong key or issuer). Installs jose from package-lock.json
# with `npm ci` when node_modules is missing. Prints "N passed, M failed".
set -u
tool=${1:?usage: check.sh PATH/TO/wf_jwt_tool}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -d node_modules/jose ]; then
    npm ci --no-audit --no-fund --silent || { echo "npm ci failed"; exit 1; }
fi
# A test secret, passed through the environment only.
export WF_JWT_SECRET="interop-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
iss=WalletFlow.Identity
aud=WalletFlow
passed=0
failed=0
expect() {  # expect NAME WANTED_STATUS COMMAND...
    local name=$1 wanted=$2
    shift 2
    "$@" >/dev/null 2>&1
    local status=$?
    if [ "$status" -eq "$wanted" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name (status $status, wanted $wanted)"
    fi
}
ours=$("$tool" issue 3f0c6a3e-2d4b-4c55-9d0e-0a1b2c3d4e5f ada@example.com 'Ada é' Lovelace User)
expired=$("$tool" issue --now 1700000000 user-1 ada@example.com Ada Lovelace User)
theirs=$(node sign.mjs "" "$iss" "$aud" user-42)
foreign=$(WF_JWT_SECRET=another-secret-0123456789-0123456789 node sign.mjs "" "$iss" "$aud" u)

expect "jose verifies ours" 0 node verify.mjs "$ours" "" "$iss" "$aud"
expect "jose refuses ours under another key" 1 node verify.mjs "$ours" wrong-key "$iss" "$aud"
expect "jose refuses ours for another issuer" 1 node verify.mjs "$ours" "" Other "$aud"
expect "jose refuses ours for another audience" 1 node verify.mjs "$ours" "" "$iss" Other
expect "jose refuses our expired token" 1 node verify.mjs "$expired" "" "$iss" "$aud"
expect "wf_jwt verifies jose's" 0 "$tool" verify "$theirs"
expect "wf_jwt refuses jose's under another key" 1 "$tool" verify "$foreign"
expect "wf_jwt refuses jose's for another issuer" 1 "$tool" verify --iss Other "$theirs"
expect "wf_jwt refuses jose's for another audience" 1 "$tool" verify --aud Other "$theirs"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
