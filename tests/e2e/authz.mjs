// authz.mjs - the authorization matrix (issue 9): every endpoint that needs
// a caller, tried with no token, a malformed token, a token signed with
// another key, an expired token of the victim, and the attacker's own token
// against the victim's resources; then the revoked refresh family. The
// victim's state must be unchanged (balance, history, profile); the shell
// runs the audit afterwards.
// Usage: JWT_TOOL=... WF_JWT_SECRET=... node authz.mjs BASE_URL

import { execFileSync } from "node:child_process";
import { Wallet, assert } from "./wallet.mjs";

const base = process.argv[2];
const api = new Wallet(base);
const tool = process.env.JWT_TOOL;

function mint(sub, email, { secret = process.env.WF_JWT_SECRET, now } = {}) {
    const args = ["issue"];
    if (now !== undefined) args.push("--now", String(now));
    args.push(sub, email, "Test", "User", "User");
    return execFileSync(tool, args, { env: { ...process.env, WF_JWT_SECRET: secret } }).toString().trim();
}

const victim = await api.register("victim");
const attacker = await api.register("attacker");
const vAcc = await api.defaultAccount(victim);
const aAcc = await api.defaultAccount(attacker);
let res = await api.call("POST", `/api/accounts/${vAcc.id}/deposit`, {
    token: victim.token, body: { amount: 50 }, headers: { "idempotency-key": "v-seed" } });
assert(res.status === 200, `seed: ${res.text}`);
res = await api.call("POST", `/api/accounts/${aAcc.id}/deposit`, {
    token: attacker.token, body: { amount: 50 }, headers: { "idempotency-key": "a-seed" } });
assert(res.status === 200, `seed: ${res.text}`);
// A hold of the victim's, for the hold endpoints below.
res = await api.call("POST", `/api/accounts/${vAcc.id}/holds`, {
    token: victim.token, body: { amount: 5, expiresInSeconds: 3600 }, headers: { "idempotency-key": "v-hold" } });
assert(res.status === 200 || res.status === 201, `seed hold: ${res.status} ${res.text}`);
const vHold = res.json.id;

const before = {
    account: (await api.call("GET", `/api/accounts/${vAcc.id}`, { token: victim.token })).json,
    history: (await api.call("GET", `/api/accounts/${vAcc.id}/transactions`, { token: victim.token })).text,
    me: (await api.call("GET", "/api/auth/me", { token: victim.token })).text,
};
const transfer = (await api.call("GET", `/api/accounts/${vAcc.id}/transactions`, { token: victim.token })).json[0];

const credentials = {
    none: null,
    malformed: "not.a.jwt",
    garbage: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",           // alg none
    wrongKey: mint(victim.userId, victim.email, { secret: "another-secret-0123456789abcdef0123456789ab" }),
    expired: mint(victim.userId, victim.email, { now: Math.floor(Date.now() / 1000) - 7200 }),
};

const idem = () => ({ "idempotency-key": `authz-${Math.random()}` });
// [method, path, body, status for the attacker's own token]
const endpoints = [
    ["GET", "/api/accounts", undefined, 200],                       // lists only the attacker's
    ["POST", "/api/accounts", { currency: "EUR" }, 201],           // opens the attacker's own
    ["GET", `/api/accounts/${vAcc.id}`, undefined, 404],
    ["POST", `/api/accounts/${vAcc.id}/deposit`, { amount: 1 }, 404],
    ["POST", `/api/accounts/${vAcc.id}/withdraw`, { amount: 1 }, 404],
    ["POST", `/api/accounts/${vAcc.id}/transfer`, { amount: 1, destinationAccountId: aAcc.id }, 404],
    ["GET", `/api/accounts/${vAcc.id}/transactions`, undefined, 404],
    ["POST", `/api/accounts/${vAcc.id}/suspend`, { reason: "x" }, [403, 404]],
    ["POST", `/api/accounts/${vAcc.id}/reactivate`, {}, [403, 404]],
    ["GET", `/api/transfers/${transfer ? transfer.id : vAcc.id}`, undefined, 404],
    ["POST", `/api/accounts/${vAcc.id}/holds`, { amount: 1, expiresInSeconds: 60 }, 404],
    ["GET", `/api/holds/${vHold}`, undefined, 404],
    ["POST", `/api/holds/${vHold}/capture`, {}, 404],
    ["POST", `/api/holds/${vHold}/void`, {}, 404],
    ["POST", `/api/transactions/${transfer ? transfer.id : vAcc.id}/refund`, {}, 404],
    ["POST", `/api/accounts/${vAcc.id}/overdraft`, { limit: 100 }, [403, 404]],
    ["GET", `/api/accounts/${vAcc.id}/balance?at=${new Date().toISOString()}`, undefined, 404],
    ["GET", `/api/accounts/${vAcc.id}/statement`, undefined, 404],
    ["GET", "/api/auth/me", undefined, 200],                        // the attacker's own profile
    ["GET", `/api/users/${victim.userId}`, undefined, 404],
    ["POST", "/hubs/wallet/negotiate", undefined, 200],            // the attacker's own hub
];

let count = 0;
let failures = 0;
function check(ok, text) {
    count++;
    console.log(`${ok ? "ok" : "not ok"} ${count} - ${text}`);
    if (!ok) failures++;
}

for (const [method, path, body, own] of endpoints) {
    for (const [kind, token] of Object.entries(credentials)) {
        const r = await api.call(method, path, { token, body, headers: idem() });
        const problem = (r.headers.get("content-type") || "").startsWith("application/problem+json");
        const challenge = (r.headers.get("www-authenticate") || "").startsWith("Bearer");
        check(r.status === 401 && problem && challenge,
            `${method} ${path.replace(/[0-9a-f-]{36}/g, "{id}")} ${kind}: ${r.status}${challenge ? "" : " (no Bearer challenge)"}`);
    }
    const r = await api.call(method, path, { token: attacker.token, body, headers: idem() });
    const allowed = Array.isArray(own) ? own : [own];
    let ok = allowed.includes(r.status);
    if (path === "/api/accounts" && method === "GET")
        ok = ok && r.json.every((a) => a.ownerId === attacker.userId);
    if (path === "/api/auth/me") ok = ok && r.json.id === attacker.userId;
    check(ok, `${method} ${path.replace(/[0-9a-f-]{36}/g, "{id}")} other user's token: ${r.status} (want ${allowed})`);
}

// The hub's query-string token (WebSockets cannot send headers).
for (const [kind, token] of Object.entries(credentials)) {
    if (!token) continue;
    const r = await api.call("POST", `/hubs/wallet/negotiate?access_token=${encodeURIComponent(token)}`);
    check(r.status === 401, `negotiate ?access_token ${kind}: ${r.status}`);
}

// Refresh tokens: rotation, reuse detection revokes the whole family.
const login = await api.call("POST", "/api/auth/login", { body: { email: victim.email, password: "Str0ng!Passw0rd" } });
assert(login.status === 200, `login: ${login.text}`);
const r1 = login.json.refreshToken;
const rot = await api.call("POST", "/api/auth/refresh", { body: { refreshToken: r1 } });
check(rot.status === 200, `refresh rotates: ${rot.status}`);
const r2 = rot.json && rot.json.refreshToken;
// Within the reuse grace (--refresh-reuse-grace-ms, 2000 by default) a second
// presentation is a client race, not a replay: wait past it.
await new Promise((r) => setTimeout(r, 2300));
const reuse = await api.call("POST", "/api/auth/refresh", { body: { refreshToken: r1 } });
check(reuse.status === 401, `reused refresh token refused: ${reuse.status}`);
const after = await api.call("POST", "/api/auth/refresh", { body: { refreshToken: r2 } });
check(after.status === 401, `its family is revoked (newest token refused): ${after.status}`);
const forged = await api.call("POST", "/api/auth/refresh", { body: { refreshToken: r2.slice(0, -2) + (r2.endsWith("AA") ? "BB" : "AA") } });
check(forged.status === 401, `altered refresh token refused: ${forged.status}`);
const attackerRefresh = await api.call("POST", "/api/auth/refresh", {
    body: { refreshToken: r2, accessToken: attacker.token } });
check(attackerRefresh.status === 401, `revoked token with another user's access token: ${attackerRefresh.status}`);
// Logout of a revoked family changes nothing and leaks nothing.
const out = await api.call("POST", "/api/auth/logout", { body: { refreshToken: r2 } });
check([204, 401].includes(out.status), `logout with a revoked token: ${out.status}`);

// The victim is untouched.
const nowAcc = (await api.call("GET", `/api/accounts/${vAcc.id}`, { token: victim.token })).json;
check(nowAcc.balance === before.account.balance && nowAcc.status === before.account.status &&
      nowAcc.version === before.account.version && nowAcc.heldBalance === before.account.heldBalance &&
      nowAcc.availableBalance === before.account.availableBalance &&
      nowAcc.overdraftLimit === before.account.overdraftLimit,
    `victim account unchanged: ${JSON.stringify(nowAcc)}`);
const history = (await api.call("GET", `/api/accounts/${vAcc.id}/transactions`, { token: victim.token })).text;
check(history === before.history, "victim history unchanged");
const me = (await api.call("GET", "/api/auth/me", { token: victim.token })).text;
check(me === before.me, "victim profile unchanged");
const heldNow = await api.call("GET", `/api/holds/${vHold}`, { token: victim.token });
check(heldNow.status === 200 && heldNow.json.status === "Open", `victim's hold still open: ${heldNow.text}`);
const list = (await api.call("GET", "/api/accounts", { token: victim.token })).json;
check(list.length === 1, `victim still has one account: ${list.length}`);

console.log(`${count} checks, ${failures} failed`);
process.exit(failures ? 1 : 0);
