// verify.mjs - every acknowledged movement in ACKS.jsonl is present exactly
// once in its account's history, and each account's balance equals what the
// acknowledged movements add up to (once transfers have landed).
//   node verify.mjs BASE USERS.json ACKS.jsonl
import { Wallet } from "./wallet.mjs";
import { readFileSync } from "node:fs";

const [base, usersFile, acksFile] = process.argv.slice(2);
const w = new Wallet(base);
const users = JSON.parse(readFileSync(usersFile, "utf8"));
const acks = readFileSync(acksFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const expected = new Map(users.map((u) => [u.account, 0]));
for (const a of acks) {
    if (a.kind === "refund") expected.set(a.account, expected.get(a.account) + a.sign * a.amount);
    else if (a.kind === "deposit") expected.set(a.account, expected.get(a.account) + a.amount);
    else if (a.kind === "withdraw") expected.set(a.account, expected.get(a.account) - a.amount);
    else {
        expected.set(a.account, expected.get(a.account) - a.amount);
        expected.set(a.destination, expected.get(a.destination) + a.amount);
    }
}
async function history(u) {
    const rows = [];
    let before = "";
    for (;;) {
        const r = await w.call("GET", `/api/accounts/${u.account}/transactions?limit=100${before}`, { token: u.token });
        if (r.status !== 200) throw new Error(`history ${r.status} ${r.text}`);
        rows.push(...r.json);
        const next = r.headers.get("x-next-before");
        if (!next) return rows;
        before = `&before=${next}`;
    }
}
// Transfers land through the outbox: allow the credits a few seconds.
const deadline = Date.now() + 15000;
let problems;
do {
    problems = [];
    for (const u of users) {
        const acc = (await w.call("GET", `/api/accounts/${u.account}`, { token: u.token })).json;
        const have = Math.round(acc.balance * 100);
        if (have !== expected.get(u.account)) problems.push(`${u.account}: balance ${have} expected ${expected.get(u.account)}`);
    }
    if (problems.length) await new Promise((x) => setTimeout(x, 200));
} while (problems.length && Date.now() < deadline);
const byAccount = new Map();
for (const u of users) byAccount.set(u.account, await history(u));
const typeOf = { deposit: "Deposit", withdraw: "Withdrawal", transfer: "Transfer", refund: "Refund" };
for (const a of acks) {
    const n = byAccount.get(a.account).filter((t) => t.id === a.id && t.type === typeOf[a.kind]).length;
    if (n !== 1) problems.push(`${a.kind} ${a.id} appears ${n} times in ${a.account}`);
    if (a.kind === "transfer") {
        const m = byAccount.get(a.destination).filter((t) => t.id === a.id && t.type === "TransferReceived").length;
        if (m !== 1) problems.push(`transfer ${a.id} credited ${m} times to ${a.destination}`);
    }
}
const ids = new Set(acks.map((a) => a.id));
for (const [account, rows] of byAccount)
    for (const t of rows)
        if (t.type !== "TransferReceived" && !ids.has(t.id)) problems.push(`unacknowledged ${t.type} ${t.id} in ${account}`);
if (problems.length) {
    console.error(problems.slice(0, 20).join("\n"));
    process.exit(1);
}
console.log(`verified ${acks.length} acknowledged movements over ${users.length} accounts`);
