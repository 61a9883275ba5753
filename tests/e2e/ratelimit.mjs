// ratelimit.mjs - rate limits through two front processes (issue 9, part 4).
//
//   node ratelimit.mjs PHASE BASE_A BASE_B STATE_FILE
// ratelimit.sh starts the fronts with small limits: auth 4 per address,
// money 6 per user (refills too slowly to matter here). Phases:
//   shared     register U, V, W and log U in, alternating fronts: the 5th auth
//              request is refused (429 + Retry-After, problem+json) although
//              each front saw only part of them; U's deposits alternate
//              fronts: 6 pass, the 7th is refused, U's balance is exactly 6.00
//   fallback   (Redis is stopped) U's deposits still get a quick answer, and
//              each front passes some on its own buckets, then refuses
//   recovered  (Redis is back) V's deposits alternate fronts: again 6 in all
import { readFileSync, writeFileSync } from "node:fs";
import { Wallet, assert } from "./wallet.mjs";

const [phase, baseA, baseB, stateFile] = process.argv.slice(2);
const fronts = [new Wallet(baseA), new Wallet(baseB)];
const ANSWER_MS_MAX = 3000; // liveness: an answer, not a hang, while Redis is stopped
const MONEY_BURST = 6;
const ok = (m) => console.log(`ok - ${m}`);

async function call(front, method, path, opts) {
    return front.call(method, path, { ...opts, headers: { ...(opts.headers || {}) } });
}

// Registers a user on a front (201 expected); returns it with its account.
async function register(front, tag) {
    const email = `rl-${tag}.${Date.now()}.${Math.floor(Math.random() * 1e9)}@example.com`;
    const res = await call(front, "POST", "/api/auth/register", {
        body: { email, firstName: "Rate", lastName: tag, password: "Str0ng!Passw0rd" } });
    assert(res.status === 201, `register ${tag}: ${res.status} ${res.text}`);
    return { email, token: res.json.accessToken };
}

function check429(res, what, scope) {
    assert(res.status === 429, `${what}: expected 429, got ${res.status} ${res.text}`);
    assert((res.headers.get("content-type") || "").startsWith("application/problem+json"), `${what}: problem+json`);
    const retry = Number(res.headers.get("retry-after"));
    assert(Number.isInteger(retry) && retry >= 1, `${what}: Retry-After ${res.headers.get("retry-after")}`);
    assert(res.json && res.json.status === 429 && res.json.detail.includes(scope), `${what}: detail names the ${scope}: ${res.text}`);
    return retry;
}

const deposit = (front, user, n) => call(front, "POST", `/api/accounts/${user.account}/deposit`, {
    token: user.token, body: { amount: "1.00" }, headers: { "idempotency-key": `rl-${Date.now()}-${n}-${Math.random()}` } });

// Deposits of user through fronts[order[i]] until a refusal; returns statuses.
async function depositsUntil429(user, order, max) {
    const statuses = [];
    for (let i = 0; i < max; i++) {
        const started = Date.now();
        const res = await deposit(fronts[order[i % order.length]], user, i);
        assert(Date.now() - started < ANSWER_MS_MAX, `deposit ${i} took ${Date.now() - started} ms`);
        statuses.push(res.status);
        if (res.status === 429) {
            check429(res, `deposit ${i}`, "user");
            break;
        }
        assert(res.status === 200, `deposit ${i}: ${res.status} ${res.text}`);
    }
    return statuses;
}

if (phase === "shared") {
    const [A, B] = fronts;
    const u = await register(A, "u");
    const v = await register(B, "v");
    const w = await register(A, "w");
    const login = await call(B, "POST", "/api/auth/login", { body: { email: u.email, password: "Str0ng!Passw0rd" } });
    assert(login.status === 200, `login: ${login.status} ${login.text}`);
    const refused = await call(B, "POST", "/api/auth/register", {
        body: { email: `rl-x.${Date.now()}@example.com`, firstName: "R", lastName: "X", password: "Str0ng!Passw0rd" } });
    check429(refused, "the 5th auth request (on front B, which saw 2)", "address");
    ok("auth: 4 per address across both fronts, the 5th gets 429 + Retry-After");
    for (const user of [u, v, w]) user.account = (await fronts[0].defaultAccount(user)).id;
    const statuses = await depositsUntil429(u, [0, 1], MONEY_BURST + 3);
    assert(statuses.join() === "200,200,200,200,200,200,429", `U's deposits across fronts: ${statuses}`);
    const account = await call(A, "GET", `/api/accounts/${u.account}`, { token: u.token });
    assert(Number(account.json.balance) === 6, `U's balance is 6.00 (no refused deposit applied): ${account.text}`);
    ok("money: 6 per user across both fronts, the 7th gets 429; balance 6.00");
    writeFileSync(stateFile, JSON.stringify({ u, v, w }));
} else if (phase === "fallback") {
    const { u } = JSON.parse(readFileSync(stateFile, "utf8"));
    const onA = await depositsUntil429(u, [0], MONEY_BURST + 3);
    const onB = await depositsUntil429(u, [1], MONEY_BURST + 3);
    const passed = (s) => s.filter((x) => x === 200).length;
    // Shared, U has no token left; per process, A and B each kept some.
    assert(passed(onA) >= 1 && passed(onB) >= 1, `each front passes on its own buckets: A ${onA}, B ${onB}`);
    assert(onA.at(-1) === 429 && onB.at(-1) === 429, `and still limits: A ${onA}, B ${onB}`);
    assert(passed(onA) <= MONEY_BURST && passed(onB) <= MONEY_BURST, `within one burst each: A ${onA}, B ${onB}`);
    ok(`Redis stopped: per-process limits (A passed ${passed(onA)}, B ${passed(onB)}, then 429), answers within ${ANSWER_MS_MAX} ms`);
} else if (phase === "recovered") {
    const { v } = JSON.parse(readFileSync(stateFile, "utf8"));
    const statuses = await depositsUntil429(v, [0, 1], MONEY_BURST + 3);
    assert(statuses.join() === "200,200,200,200,200,200,429", `V's deposits across fronts after Redis came back: ${statuses}`);
    ok("Redis back: the fronts share the buckets again (6 in all, then 429)");
} else {
    throw new Error(`unknown phase ${phase}`);
}
