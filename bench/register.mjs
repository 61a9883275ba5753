// bench/register.mjs - the benchmark's setup: registers N users over HTTP, waits for each
// user's default wallet (opened by the account shards from the UserRegistered event), seeds it
// with one deposit, and writes "ACCOUNT_ID ACCESS_TOKEN" per line for wrk (money.lua) and
// wf_loadgen. Not what the benchmark measures: it only has to be quick and correct.
//
//   node bench/register.mjs BASE_URL USERS CONCURRENCY OUT_FILE RUN_ID [SEED_AMOUNT]
//
// Registration hashes a password (Argon2id) on the server's hashing pool, which answers 503 when
// its queue is full: such answers are retried with a short backoff, as are 429s. Exits non-zero
// with the reason when a user cannot be set up.
import { writeFileSync } from "node:fs";

const [base, usersText, concurrencyText, out, runId, seedText = "500000.00"] = process.argv.slice(2);
if (!base || !usersText || !out || !runId) {
    console.error("usage: node register.mjs BASE_URL USERS CONCURRENCY OUT_FILE RUN_ID [SEED_AMOUNT]");
    process.exit(2);
}
const users = Number(usersText);
const concurrency = Math.max(1, Number(concurrencyText) || 16);
const WALLET_TIMEOUT_MS = 15000;
const RETRIES_MAX = 50;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(method, path, { token, body, headers = {} } = {}) {
    const init = { method, headers: { ...headers } };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
        init.headers["content-type"] = "application/json";
        init.body = JSON.stringify(body);
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: res.status, text, json };
}

// Retries an idempotent-enough call while the server sheds load (503) or rate-limits (429).
async function retrying(what, fn, ok) {
    for (let attempt = 0; ; attempt++) {
        const r = await fn();
        if (ok(r.status)) return r;
        if ((r.status === 503 || r.status === 429) && attempt < RETRIES_MAX) {
            await sleep(20 + 10 * attempt);
            continue;
        }
        throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    }
}

async function setUp(i) {
    const email = `bench-${runId}-${i}@example.com`;
    const reg = await retrying(`register ${email}`, () => call("POST", "/api/auth/register", {
        body: { email, firstName: "Bench", lastName: `User${i}`, password: "Str0ng!Passw0rd" },
    }), (s) => s === 201);
    const token = reg.json.accessToken;
    let account = null;
    const end = Date.now() + WALLET_TIMEOUT_MS;
    while (!account) {
        const r = await call("GET", "/api/accounts", { token });
        if (r.status === 200 && Array.isArray(r.json) && r.json.length > 0) account = r.json[0].id;
        else if (Date.now() > end) throw new Error(`no default wallet for ${email} within ${WALLET_TIMEOUT_MS} ms (last: ${r.status} ${r.text.slice(0, 200)})`);
        else await sleep(25);
    }
    await retrying(`seed deposit ${email}`, () => call("POST", `/api/accounts/${account}/deposit`, {
        token, body: { amount: seedText, description: "bench seed" },
        headers: { "idempotency-key": `${runId}-seed-${i}` },
    }), (s) => s === 200);
    return `${account} ${token}`;
}

const started = Date.now();
const lines = new Array(users);
let next = 0;
async function worker() {
    while (next < users) {
        const i = next++;
        lines[i] = await setUp(i);
    }
}
await Promise.all(Array.from({ length: Math.min(concurrency, users) }, worker));
writeFileSync(out, lines.join("\n") + "\n");
const seconds = (Date.now() - started) / 1000;
console.log(`register: ${users} users with seeded wallets in ${seconds.toFixed(1)} s ` +
            `(${(users / seconds).toFixed(0)}/s) -> ${out}`);
