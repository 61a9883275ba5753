// load.mjs - concurrency: C clients do random deposits, withdrawals,
// transfers, holds (placed, captured, voided or left to expire) and refunds
// of deposits and withdrawals among the
// accounts of N users for S seconds. Prints every
// acknowledged (2xx) movement as JSON lines to the file given, so the caller
// can check each is present exactly once (also across a kill -9 + restart).
//   node load.mjs BASE SECONDS CLIENTS USERS OUT.jsonl [USERS.json]
// Optional environment: LOAD_STOP_FILE ends the load early once that file
// exists; LOAD_LATENCY_OUT receives one line per request at the end,
// "<start ms since epoch> <latency ms> <status> <account id>", for per-phase
// latencies.
import { Wallet } from "./wallet.mjs";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const [base, seconds, clients, usersWanted, out, usersFile] = process.argv.slice(2);
const w = new Wallet(base);
let users;
if (usersFile && existsSync(usersFile)) {
    users = JSON.parse(readFileSync(usersFile, "utf8"));
} else {
    users = [];
    for (let i = 0; i < Number(usersWanted); i++) {
        const u = await w.register(`load${i}`);
        u.account = (await w.defaultAccount(u, 5000)).id;
        users.push(u);
        await w.call("POST", `/api/accounts/${u.account}/deposit`, { token: u.token, body: { amount: 1000 } })
            .then((r) => r.status === 200 && appendFileSync(out, JSON.stringify({ kind: "deposit", account: u.account, id: r.json.id, amount: 100000 }) + "\n"));
    }
    if (usersFile) writeFileSync(usersFile, JSON.stringify(users));
}
const counts = {};
const stopAt = Date.now() + Number(seconds) * 1000;
const stopFile = process.env.LOAD_STOP_FILE;
const latencies = [];
const running = () => Date.now() < stopAt && !(stopFile && existsSync(stopFile));
const pick = () => users[Math.floor(Math.random() * users.length)];
async function client() {
    while (running()) {
        const u = pick();
        const roll = Math.random();
        const cents = 1 + Math.floor(Math.random() * 20000);
        const amount = (cents / 100).toFixed(2);
        let kind, body, path, refunding;
        const other = () => { const v = pick(); return v === u ? users[(users.indexOf(u) + 1) % users.length] : v; };
        u.holds ??= [];
        u.refundable ??= [];
        if (roll < 0.05 && u.refundable.length) {
            // Refunds (issue 10) of this client's own acknowledged deposits and withdrawals.
            const o = u.refundable.splice(Math.floor(Math.random() * u.refundable.length), 1)[0];
            kind = "refund"; path = `/api/transactions/${o.id}/refund`;
            body = Math.random() < 0.5 ? {} : { amount: (Math.max(1, Math.floor(o.cents / 2)) / 100).toFixed(2) };
            refunding = o;
        } else if (roll < 0.35) { kind = "deposit"; body = { amount }; }
        else if (roll < 0.6) { kind = "withdraw"; body = { amount }; }
        else if (roll < 0.8) { kind = "transfer"; body = { amount, destinationAccountId: other().account }; }
        else if (roll < 0.9 || u.holds.length === 0) {
            // Holds (issue 10): some with a destination, due in 1..4 s, so some expire by themselves.
            kind = "hold"; path = `/api/accounts/${u.account}/holds`;
            body = { amount, expiresInSeconds: 1 + Math.floor(Math.random() * 4) };
            if (Math.random() < 0.5) body.destinationAccountId = other().account;
        } else {
            const h = u.holds.splice(Math.floor(Math.random() * u.holds.length), 1)[0];
            kind = Math.random() < 0.7 ? "capture" : "void";
            path = `/api/holds/${h.id}/${kind}`;
            body = kind === "capture" && Math.random() < 0.5
                ? { amount: (Math.max(1, Math.floor(h.cents * Math.random())) / 100).toFixed(2) } : {};
        }
        path ??= `/api/accounts/${u.account}/${kind}`;
        // A real client: one Idempotency-Key per operation, and an ambiguous
        // failure (network error, 5xx) is retried with the same key until the
        // answer is definitive, so nothing it did is unknown to it.
        const key = `load-${Date.now()}-${Math.random()}`;
        const raw = JSON.stringify(body).replace(/"amount":"([0-9.]+)"/, '"amount":$1');
        let r = null;
        const giveUp = Date.now() + 60000;
        while (Date.now() < giveUp) {
            const started = Date.now();
            try {
                r = await w.call("POST", path, { token: u.token, raw, headers: { "idempotency-key": key } });
            } catch (e) {
                r = { status: "network" };   // the server went away (crash test)
            }
            latencies.push(`${started} ${Date.now() - started} ${r.status} ${u.account}`);
            counts[r.status] = (counts[r.status] || 0) + 1;
            if (r.status === 503 && samples.size < 3) samples.add(r.text);
            if (r.status !== "network" && r.status < 500) break;
            await new Promise((x) => setTimeout(x, 50));
        }
        if (kind === "hold" && r.status === 201)
            u.holds.push({ id: r.json.id, cents });
        else if (kind === "capture" && r.status === 200) {
            // The capture's debit: a withdrawal, or a transfer to the hold's destination.
            const d = r.json.destinationAccountId;
            appendFileSync(out, JSON.stringify({ kind: d ? "transfer" : "withdraw", account: u.account,
                id: r.json.transactionId, amount: Math.round(Number(r.json.capturedAmount) * 100),
                destination: d }) + "\n");
        } else if (kind === "refund" && r.status === 200) {
            const o = refunding;
            appendFileSync(out, JSON.stringify({ kind: "refund", account: u.account, id: r.json.id,
                amount: Math.round(Number(r.json.amount) * 100), sign: o.kind === "deposit" ? -1 : 1 }) + "\n");
        } else if (kind === "void" && r.status === 200) {
            // Released: no movement.
        } else if (r.status === 200 && kind !== "hold" && kind !== "refund") {
            if (kind !== "transfer") u.refundable.push({ id: r.json.id, kind, cents });
            appendFileSync(out, JSON.stringify({ kind, account: u.account, id: r.json.id, amount: cents,
                destination: body.destinationAccountId || null }) + "\n");
        } else if (r.status !== 422)
            throw new Error(`no definitive answer: ${r.status} ${r.text || ""}`);
    }
}
const samples = new Set();
await Promise.all(Array.from({ length: Number(clients) }, client));
console.log(JSON.stringify(counts));
if (process.env.LOAD_LATENCY_OUT)
    appendFileSync(process.env.LOAD_LATENCY_OUT, latencies.join("\n") + "\n");
for (const sample of samples) console.log(`503: ${sample}`);
