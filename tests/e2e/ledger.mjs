// ledger.mjs - issue 10 end to end: holds (two-phase transfers) and the
// overdraft limit, every rule and refusal, and their concurrency.
//   node ledger.mjs BASE              the whole suite
//   node ledger.mjs BASE prepare FILE places a hold due in 2 s for the restart test;
//                                     writes {holdId, accountId, token} to FILE
//   node ledger.mjs BASE expired FILE waits for that hold to be released
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Wallet, assert, minor } from "./wallet.mjs";

const w = new Wallet(process.argv[2]);
const mode = process.argv[3] || "all";
const ok = (m) => console.log(`ok - ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const get = async (acc, user) => (await w.call("GET", `/api/accounts/${acc.id}`, { token: user.token })).json;
const post = (path, user, body, headers = {}) => w.call("POST", path, { token: user.token, body, headers });
const hold = (acc, user, body, headers) => post(`/api/accounts/${acc.id}/holds`, user, body, headers);
const capture = (id, user, body) => post(`/api/holds/${id}/capture`, user, body);
const voidHold = (id, user) => post(`/api/holds/${id}/void`, user, {});
const deposit = (acc, user, amount) => post(`/api/accounts/${acc.id}/deposit`, user, { amount });
const withdraw = (acc, user, amount) => post(`/api/accounts/${acc.id}/withdraw`, user, { amount });

// Polls until pred(value) or the deadline.
async function until(fetcher, pred, ms = 5000, what = "condition") {
    const end = Date.now() + ms;
    let value;
    do {
        value = await fetcher();
        if (pred(value)) return value;
        await sleep(25);
    } while (Date.now() < end);
    throw new Error(`${what} not reached within ${ms} ms: ${JSON.stringify(value)}`);
}

// balance / available / held of an account, in minor units.
async function money(acc, user) {
    const a = await get(acc, user);
    return { balance: minor(a.balance), available: minor(a.availableBalance), held: minor(a.heldBalance) };
}

if (mode === "prepare") {
    const u = await w.register("sleeper");
    const a = await w.defaultAccount(u, 5000);
    assert((await deposit(a, u, 50)).status === 200, "deposit");
    const r = await hold(a, u, { amount: 20, expiresInSeconds: 2 });
    assert(r.status === 201 && r.json.status === "Open", `hold ${r.status} ${r.text}`);
    writeFileSync(process.argv[4], JSON.stringify({ holdId: r.json.id, accountId: a.id, token: u.token }));
    ok("a hold due in 2 s is placed before the stop");
    process.exit(0);
}
if (mode === "expired") {
    const s = JSON.parse(readFileSync(process.argv[4], "utf8"));
    const u = { token: s.token };
    const h = await until(async () => (await w.call("GET", `/api/holds/${s.holdId}`, { token: u.token })).json,
        (x) => x && x.status === "Expired", 10000, "expiry after restart");
    assert(h.closedAt, JSON.stringify(h));
    const m = await money({ id: s.accountId }, u);
    assert(m.balance === 5000 && m.available === 5000 && m.held === 0, JSON.stringify(m));
    const r = await capture(s.holdId, u, {});
    assert(r.status === 422, `capture after expiry ${r.status} ${r.text}`);
    ok("the hold that fell due while walletflow was stopped is released after the restart");
    process.exit(0);
}

const alice = await w.register("alice");
const bob = await w.register("bob");
const a = await w.defaultAccount(alice, 5000);
const b = await w.defaultAccount(bob, 5000);

// AccountDto carries the new balances.
assert(a.availableBalance === 0 && a.heldBalance === 0 && a.overdraftLimit === 0, JSON.stringify(a));
let r = await w.call("GET", `/api/accounts/${a.id}`, { token: alice.token });
assert(r.text.includes('"availableBalance":0.00') && r.text.includes('"heldBalance":0.00')
       && r.text.includes('"overdraftLimit":0.00'), r.text);
ok("AccountDto has availableBalance, heldBalance and overdraftLimit, at scale");

// A hold lowers available, never the balance; every debit checks available.
assert((await deposit(a, alice, 1000)).status === 200, "deposit");
r = await hold(a, alice, { amount: "300.50", expiresInSeconds: 60, description: "hotel" });
assert(r.status === 201 && r.json.status === "Open" && r.text.includes('"amount":300.50'), r.text);
assert(r.json.accountId === a.id && r.json.destinationAccountId === null && r.json.capturedAmount === null, r.text);
const h1 = r.json;
let m = await money(a, alice);
assert(m.balance === 100000 && m.available === 69950 && m.held === 30050, JSON.stringify(m));
r = await withdraw(a, alice, 699.51);
assert(r.status === 422 && /nsufficient/.test(r.text), `withdraw above available ${r.status} ${r.text}`);
r = await post(`/api/accounts/${a.id}/transfer`, alice, { destinationAccountId: b.id, amount: 699.51 });
assert(r.status === 422, `transfer above available ${r.status}`);
r = await hold(a, alice, { amount: 699.51, expiresInSeconds: 60 });
assert(r.status === 422, `hold above available ${r.status}`);
r = await w.call("GET", `/api/holds/${h1.id}`, { token: alice.token });
assert(r.status === 200 && r.json.status === "Open" && r.json.description === "hotel", r.text);
ok("a hold: 201 Open, available drops, the balance does not; withdraw/transfer/hold above available -> 422");

// Capture: bounded by the hold, once; the rest is released; the debit is in history.
r = await capture(h1.id, alice, { amount: 300.51 });
assert(r.status === 422, `capture above the hold ${r.status} ${r.text}`);
r = await capture(h1.id, alice, { amount: 0 });
assert(r.status === 400, `capture of 0 ${r.status} ${r.text}`);
r = await capture(h1.id, alice, { amount: 100 });
assert(r.status === 200 && r.json.status === "Captured" && r.text.includes('"capturedAmount":100.00'), r.text);
const debitId = r.json.transactionId;
m = await money(a, alice);
assert(m.balance === 90000 && m.available === 90000 && m.held === 0, JSON.stringify(m));
r = await capture(h1.id, alice, {});
assert(r.status === 422 && /Captured/.test(r.text), `second capture ${r.status} ${r.text}`);
r = await voidHold(h1.id, alice);
assert(r.status === 422, `void after capture ${r.status}`);
r = await w.call("GET", `/api/accounts/${a.id}/transactions?limit=1`, { token: alice.token });
assert(r.json[0].id === debitId && r.json[0].type === "Withdrawal" && r.text.includes('"amount":100.00'), r.text);
ok("capture above the hold -> 422, 0 -> 400; capture 100 of 300.50 releases the rest; a second capture or a void -> 422");

// Void releases everything; capture after void -> 422.
r = await hold(a, alice, { amount: 200, expiresInSeconds: 60 });
const h2 = r.json;
assert((await money(a, alice)).available === 70000, "available with h2");
r = await voidHold(h2.id, alice);
assert(r.status === 200 && r.json.status === "Voided" && r.json.closedAt, r.text);
assert((await money(a, alice)).available === 90000, "available after the void");
r = await capture(h2.id, alice, {});
assert(r.status === 422, `capture after void ${r.status}`);
r = await voidHold(h2.id, alice);
assert(r.status === 422, `second void ${r.status}`);
ok("void releases the whole hold; capture or void after a void -> 422");

// A hold for a destination: its capture is a transfer, credited by the saga.
r = await hold(a, alice, { amount: 150, expiresInSeconds: 60, destinationAccountId: b.id });
assert(r.status === 201 && r.json.destinationAccountId === b.id, r.text);
r = await capture(r.json.id, alice, {});
assert(r.status === 200 && r.text.includes('"capturedAmount":150.00'), r.text);
await until(() => money(b, bob), (x) => x.balance === 15000, 5000, "credit of the captured transfer");
r = await w.call("GET", `/api/transfers/${r.json.transactionId}`, { token: bob.token });
assert(r.status === 200 && r.json.status === "Completed", r.text);
ok("a hold with a destination: capturing all moves it as a transfer (Completed)");

// An expired hold releases itself; capture after expiry -> 422.
r = await hold(a, alice, { amount: 10, expiresInSeconds: 1 });
const h3 = r.json;
assert((await money(a, alice)).held === 1000, "held before expiry");
await until(async () => (await w.call("GET", `/api/holds/${h3.id}`, { token: alice.token })).json,
    (x) => x.status === "Expired", 5000, "expiry");
assert((await money(a, alice)).held === 0, "held after expiry");
r = await capture(h3.id, alice, {});
assert(r.status === 422, `capture after expiry ${r.status}`);
ok("a hold expires by itself (the shard's timer), then capture -> 422");

// Validation and refusals.
for (const [body, field] of [[{ amount: 1 }, "expiresInSeconds"], [{ amount: 1, expiresInSeconds: 0 }, "expiresInSeconds"],
                             [{ amount: 1, expiresInSeconds: 2592001 }, "expiresInSeconds"],
                             [{ amount: 1, expiresInSeconds: "60" }, "expiresInSeconds"],
                             [{ expiresInSeconds: 60 }, "amount"], [{ amount: -1, expiresInSeconds: 60 }, "amount"],
                             [{ amount: 1.001, expiresInSeconds: 60 }, "amount"]]) {
    r = await hold(a, alice, body);
    assert(r.status === 400 && r.json?.errors?.[field], `${JSON.stringify(body)} -> ${r.status} ${r.text}`);
}
r = await hold(a, alice, { amount: 1, expiresInSeconds: 60, destinationAccountId: "00000000-0000-4000-8000-000000000000" });
assert(r.status === 422, `unknown destination ${r.status}`);
r = await hold(a, alice, { amount: 1, expiresInSeconds: 60, destinationAccountId: a.id });
assert(r.status === 422, `destination itself ${r.status}`);
r = await post("/api/accounts", alice, { currency: "USD" });
const usd = r.json;
r = await hold(a, alice, { amount: 1, expiresInSeconds: 60, destinationAccountId: usd.id });
assert(r.status === 422, `destination in another currency ${r.status}`);
r = await hold(a, alice, { amount: 1, expiresInSeconds: 60, currency: "USD" });
assert(r.status === 422, `currency mismatch ${r.status}`);
r = await hold(usd, alice, { amount: 1, expiresInSeconds: 60 });
assert(r.status === 422 && /nsufficient/.test(r.text), `hold on an empty account ${r.status}`);
ok("hold validation: expiresInSeconds 1..2592000 integer, amount > 0 at scale -> 400; bad destination or currency -> 422");

// Ownership: another user's hold is a missing one.
r = await hold(a, alice, { amount: 5, expiresInSeconds: 60 });
const h4 = r.json;
r = await capture(h4.id, bob, {});
assert(r.status === 404, `bob captures alice's hold ${r.status}`);
r = await voidHold(h4.id, bob);
assert(r.status === 404, `bob voids alice's hold ${r.status}`);
r = await w.call("GET", `/api/holds/${h4.id}`, { token: bob.token });
assert(r.status === 404, `bob reads alice's hold ${r.status}`);
r = await hold(a, bob, { amount: 5, expiresInSeconds: 60 });
assert(r.status === 404, `bob holds on alice's account ${r.status}`);
r = await capture("00000000-0000-4000-8000-000000000000", alice, {});
assert(r.status === 404, `unknown hold ${r.status}`);
r = await capture("not-a-uuid", alice, {});
assert(r.status === 404, `malformed hold id ${r.status}`);
r = await w.call("POST", `/api/holds/${h4.id}/capture`, { body: {} });
assert(r.status === 401, `no token ${r.status}`);
r = await post(`/api/holds/${h4.id}/void`, alice, { amount: 1 });
assert(r.status === 400, `void with an amount ${r.status}`);
assert((await voidHold(h4.id, alice)).status === 200, "owner voids");
ok("another user's hold or account -> 404; unknown or malformed hold -> 404; no token -> 401");

// Idempotency: the same key places one hold.
const key = `hold-${Date.now()}`;
const twice = await Promise.all([0, 1, 2].map(() => hold(a, alice, { amount: 7, expiresInSeconds: 60 }, { "idempotency-key": key })));
assert(twice.every((x) => x.status === 201 && x.json.id === twice[0].json.id), twice.map((x) => x.status + x.text).join("\n"));
assert((await money(a, alice)).held === 700, "one hold for one key");
assert((await voidHold(twice[0].json.id, alice)).status === 200, "void the keyed hold");
ok("a hold with an Idempotency-Key takes effect once");

// 20 concurrent captures of one hold: exactly one succeeds.
r = await hold(a, alice, { amount: 40, expiresInSeconds: 60 });
const h5 = r.json;
const before = await money(a, alice);
const races = await Promise.all(Array.from({ length: 20 }, (_, i) => capture(h5.id, alice, { amount: 1 + (i % 40) })));
const won = races.filter((x) => x.status === 200);
assert(won.length === 1 && races.filter((x) => x.status === 422).length === 19,
    races.map((x) => x.status).join(","));
const after = await money(a, alice);
assert(before.balance - after.balance === minor(won[0].json.capturedAmount) && after.held === before.held - 4000,
    `${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
ok("20 concurrent captures of one hold: exactly one succeeds, 19 get 422, one debit");

// The open-holds limit.
const carol = await w.register("carol");
const c = await w.defaultAccount(carol, 5000);
await deposit(c, carol, 100);
const many = await Promise.all(Array.from({ length: 32 }, () => hold(c, carol, { amount: 1, expiresInSeconds: 60 })));
assert(many.every((x) => x.status === 201), many.map((x) => x.status).join(","));
r = await hold(c, carol, { amount: 1, expiresInSeconds: 60 });
assert(r.status === 422, `33rd open hold ${r.status} ${r.text}`);
await Promise.all(many.map((x) => voidHold(x.json.id, carol)));
assert((await money(c, carol)).held === 0, "all voided");
ok("at most 32 open holds per account; the 33rd -> 422");

// Overdraft: only an Admin sets it; debits reach -limit, never past it.
const admin = await w.register("admin");
execFileSync(process.env.WALLETFLOW, ["admin", "grant", admin.email], { stdio: "pipe" });
const login = await w.call("POST", "/api/auth/login", { body: { email: admin.email, password: "Str0ng!Passw0rd" } });
assert(login.status === 200 && login.json.user.role === "Admin", login.text);
admin.token = login.json.accessToken;
r = await post(`/api/accounts/${c.id}/overdraft`, carol, { limit: 50 });
assert(r.status === 403, `a user sets an overdraft ${r.status}`);
for (const limit of [-1, "abc", 1000000.01, 1.001]) {
    r = await post(`/api/accounts/${c.id}/overdraft`, admin, { limit });
    assert(r.status === 400 && r.json?.errors?.limit, `limit ${limit} -> ${r.status} ${r.text}`);
}
r = await post(`/api/accounts/${c.id}/overdraft`, admin, {});
assert(r.status === 400, `no limit ${r.status}`);
r = await post(`/api/accounts/${c.id}/overdraft`, admin, { limit: 50 });
assert(r.status === 200 && r.text.includes('"overdraftLimit":50.00') && r.text.includes('"availableBalance":100.00'), r.text);
r = await withdraw(c, carol, 150.01);
assert(r.status === 422, `past the limit ${r.status}`);
r = await withdraw(c, carol, 130);
assert(r.status === 200 && r.text.includes('"balanceAfter":-30.00'), r.text);
r = await hold(c, carol, { amount: 20.01, expiresInSeconds: 60 });
assert(r.status === 422, `hold past the limit ${r.status}`);
r = await hold(c, carol, { amount: 20, expiresInSeconds: 60 });
assert(r.status === 201, `hold to the limit ${r.status}`);
const h6 = r.json;
r = await w.call("GET", `/api/accounts/${c.id}`, { token: carol.token });
assert(r.text.includes('"balance":-30.00') && r.text.includes('"availableBalance":-50.00'), r.text);
r = await withdraw(c, carol, 0.01);
assert(r.status === 422, `one cent past the limit ${r.status}`);
r = await post(`/api/accounts/${c.id}/overdraft`, admin, { limit: 49.99 });
assert(r.status === 422, `a limit below what is used ${r.status} ${r.text}`);
assert((await voidHold(h6.id, carol)).status === 200, "void h6");
await deposit(c, carol, 30);
r = await post(`/api/accounts/${c.id}/overdraft`, admin, { limit: 0 });
assert(r.status === 200 && r.text.includes('"overdraftLimit":0.00'), r.text);
r = await withdraw(c, carol, 0.01);
assert(r.status === 422, `limit back to 0 ${r.status}`);
r = await post(`/api/accounts/${c.id}/overdraft`, admin, { limit: 0.5 });
assert(r.status === 200, `admin limit ${r.status}`);
ok("overdraft: Admin only (403), 0..1,000,000 (400), debits and holds reach -limit and stop there, no limit below usage");

// Concurrent withdrawals and holds never take available below -limit.
const dave = await w.register("dave");
const d = await w.defaultAccount(dave, 5000);
await deposit(d, dave, 100);
r = await post(`/api/accounts/${d.id}/overdraft`, admin, { limit: 50 });
assert(r.status === 200, "limit 50");
const mixed = await Promise.all(Array.from({ length: 40 }, (_, i) => i % 2
    ? withdraw(d, dave, 10) : hold(d, dave, { amount: 10, expiresInSeconds: 60 })));
const done = mixed.filter((x) => x.status === 200 || x.status === 201).length;
assert(done === 15 && mixed.every((x) => [200, 201, 422].includes(x.status)), mixed.map((x) => x.status).join(","));
m = await money(d, dave);
assert(m.available === -5000, JSON.stringify(m));
ok(`40 concurrent withdrawals and holds of 10 against 100 + limit 50: exactly 15 pass, available ends at -50.00`);

// Refunds: compensating events, bounded by the original, idempotent.
const erin = await w.register("erin");
const frank = await w.register("frank");
const e = await w.defaultAccount(erin, 5000);
const f = await w.defaultAccount(frank, 5000);
const refund = (id, user, body, headers) => post(`/api/transactions/${id}/refund`, user, body, headers);
const historyRow = async (acc, user, id, type) =>
    (await w.call("GET", `/api/accounts/${acc.id}/transactions?limit=100`, { token: user.token })).json
        .find((t) => t.id === id && t.type === type);
r = await deposit(e, erin, 100);
const d1 = r.json.id;
assert(r.text.includes('"refundedAmount":0.00'), r.text);
r = await refund(d1, erin, { amount: 30, reason: "partial" });
assert(r.status === 200 && r.json.type === "Refund" && r.json.refundOf === d1 && r.text.includes('"balanceAfter":70.00'), r.text);
r = await refund(d1, erin, { amount: 70.01 });
assert(r.status === 422, `refund above the rest ${r.status} ${r.text}`);
r = await refund(d1, erin, { amount: 0 });
assert(r.status === 400, `refund of 0 ${r.status}`);
r = await refund(d1, erin, {});
assert(r.status === 200 && r.text.includes('"amount":70.00') && r.text.includes('"balanceAfter":0.00'), r.text);
r = await refund(d1, erin, {});
assert(r.status === 422 && /fully refunded/.test(r.text), `refund after all ${r.status} ${r.text}`);
let row = await historyRow(e, erin, d1, "Deposit");
assert(row.refundedAmount === 100, JSON.stringify(row));
ok("deposit refund: partial then the rest, never above the original (422), 0 -> 400; the original shows 100.00 refunded");

r = await deposit(e, erin, 100);
r = await withdraw(e, erin, 50);
const w1 = r.json.id;
r = await refund(w1, erin, {});
assert(r.status === 200 && r.text.includes('"balanceAfter":100.00'), r.text);
r = await refund(r.json.id, erin, {});
assert(r.status === 422 && /cannot be refunded/.test(r.text), `refund of a refund ${r.status} ${r.text}`);
r = await withdraw(e, erin, 100);
r = await deposit(e, erin, 20);
r = await refund(r.json.id, erin, {});
assert(r.status === 200, `refund a fresh deposit ${r.status}`);
r = await deposit(e, erin, 20);
const d2 = r.json.id;
await withdraw(e, erin, 20);
r = await refund(d2, erin, {});
assert(r.status === 422 && /nsufficient/.test(r.text), `refund of a spent deposit ${r.status} ${r.text}`);
ok("withdrawal refund credits; a refund cannot be refunded; a spent deposit cannot be refunded (422)");

// A transfer is refunded by its recipient; the money returns through the saga.
await deposit(e, erin, 100);
r = await post(`/api/accounts/${e.id}/transfer`, erin, { destinationAccountId: f.id, amount: 40 });
const t1 = r.json.id;
await until(() => money(f, frank), (x) => x.balance === 4000, 5000, "transfer credit");
r = await refund(t1, erin, {});
assert(r.status === 422 && /received/.test(r.text), `sender refunds ${r.status} ${r.text}`);
r = await refund(t1, frank, { amount: 15, reason: "damaged" });
assert(r.status === 200 && r.json.type === "Refund" && r.json.destinationAccountId === e.id && r.text.includes('"balanceAfter":25.00'), r.text);
const back = r.json.id;
await until(() => money(e, erin), (x) => x.balance === 7500, 5000, "the reversal's credit");
r = await w.call("GET", `/api/transfers/${back}`, { token: erin.token });
assert(r.status === 200 && r.json.status === "Completed" && r.json.sourceAccountId === f.id, r.text);
row = await historyRow(e, erin, t1, "Transfer");
assert(row.refundedAmount === 15, `sender's row ${JSON.stringify(row)}`);
row = await historyRow(f, frank, t1, "TransferReceived");
assert(row.refundedAmount === 15, `recipient's row ${JSON.stringify(row)}`);
r = await refund(t1, frank, { amount: 25.01 });
assert(r.status === 422, `reverse above the rest ${r.status}`);
ok("transfer refund: only the recipient (sender -> 422), credited back through the saga; both rows show 15.00 refunded");

// Ownership and ids.
r = await refund(t1, (await w.register("mallory")), {});
assert(r.status === 404, `a stranger refunds ${r.status}`);
r = await refund("00000000-0000-4000-8000-000000000000", erin, {});
assert(r.status === 404, `unknown transaction ${r.status}`);
r = await refund("nope", erin, {});
assert(r.status === 404, `malformed id ${r.status}`);
r = await w.call("POST", `/api/transactions/${t1}/refund`, { body: {} });
assert(r.status === 401, `no token ${r.status}`);
ok("refund of another user's, an unknown or a malformed transaction -> 404; no token -> 401");

// Idempotent, and concurrent refunds never exceed the original.
r = await deposit(e, erin, 50);
const d3 = r.json.id;
const rkey = `refund-${Date.now()}`;
const same = await Promise.all(Array.from({ length: 10 }, () => refund(d3, erin, { amount: 10 }, { "idempotency-key": rkey })));
assert(same.every((x) => x.status === 200 && x.text === same[0].text), same.map((x) => x.status + x.text).join("\n"));
r = await refund(d3, erin, { amount: 11 }, { "idempotency-key": rkey });
assert(r.status === 422, `key reused with another body ${r.status}`);
const racing = await Promise.all(Array.from({ length: 10 }, () => refund(d3, erin, { amount: 10 })));
assert(racing.filter((x) => x.status === 200).length === 4 && racing.filter((x) => x.status === 422).length === 6,
    racing.map((x) => x.status).join(","));
row = await historyRow(e, erin, d3, "Deposit");
assert(row.refundedAmount === 50, JSON.stringify(row));
ok("a refund with an Idempotency-Key takes effect once; 10 concurrent refunds of 10 against the 40 left: exactly 4 pass");

// Metadata: bounded, stored with the event, returned in history, filterable.
const gina = await w.register("gina");
const g = await w.defaultAccount(gina, 5000);
r = await post(`/api/accounts/${g.id}/deposit`, gina, { amount: 100, metadata: { orderId: "A-1", channel: "web" } });
assert(r.status === 200 && r.json.metadata.orderId === "A-1" && r.json.metadata.channel === "web", r.text);
const gd1 = r.json.id;
r = await post(`/api/accounts/${g.id}/deposit`, gina, { amount: 5, metadata: { orderId: "A-2" } });
r = await post(`/api/accounts/${g.id}/withdraw`, gina, { amount: 7, metadata: { orderId: "A-1", note: "a b=d/é" } });
assert(r.status === 200, r.text);
r = await post(`/api/accounts/${g.id}/transfer`, gina, { amount: 1, destinationAccountId: e.id, metadata: { orderId: "A-3" } });
assert(r.status === 200 && r.json.metadata.orderId === "A-3", r.text);
r = await refund(gd1, gina, { amount: 1, metadata: { orderId: "A-1", why: "refund" } });
assert(r.status === 200 && r.json.metadata.why === "refund", r.text);
r = await w.call("GET", `/api/accounts/${g.id}/transactions?metadata.orderId=A-1`, { token: gina.token });
assert(r.status === 200 && r.json.length === 3 && r.json.every((t) => t.metadata.orderId === "A-1")
       && r.json.map((t) => t.type).join() === "Refund,Withdrawal,Deposit", r.text);
r = await w.call("GET", `/api/accounts/${g.id}/transactions?limit=10&metadata.note=${encodeURIComponent("a b=d/é")}`, { token: gina.token });
assert(r.status === 200 && r.json.length === 1 && r.json[0].type === "Withdrawal", r.text);
r = await w.call("GET", `/api/accounts/${g.id}/transactions?metadata.orderId=none`, { token: gina.token });
assert(r.status === 200 && r.json.length === 0, r.text);
r = await w.call("GET", `/api/accounts/${g.id}/transactions?limit=1`, { token: gina.token });
assert(r.json[0].metadata && typeof r.json[0].metadata === "object", r.text);
const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, "v".repeat(128)]));
for (const metadata of [[1], "x", seventeen, { k: 1 }, { "a b": "v" }, { k: "v".repeat(129) }, { ["k".repeat(41)]: "v" }, { k: "a\u0001" }]) {
    r = await post(`/api/accounts/${g.id}/deposit`, gina, { amount: 1, metadata });
    assert(r.status === 400 && r.json?.errors?.metadata, `${JSON.stringify(metadata).slice(0, 60)} -> ${r.status} ${r.text}`);
}
r = await post(`/api/accounts/${g.id}/deposit`, gina, { amount: 1, metadata: sixteen });
assert(r.status === 200 && Object.keys(r.json.metadata).length === 16, `16 keys at 128 bytes ${r.status} ${r.text.slice(0, 200)}`);
for (const q of ["metadata.a%20b=x", "metadata.=x", "metadata.a=1&metadata.b=2", `metadata.k=${"v".repeat(129)}`]) {
    r = await w.call("GET", `/api/accounts/${g.id}/transactions?${q}`, { token: gina.token });
    assert(r.status === 400, `filter ${q} -> ${r.status} ${r.text}`);
}
r = await hold(g, gina, { amount: 2, expiresInSeconds: 60, metadata: { orderId: "H-1" } });
assert(r.status === 201 && r.json.metadata.orderId === "H-1", r.text);
r = await capture(r.json.id, gina, {});
assert(r.status === 200 && r.json.metadata.orderId === "H-1", r.text);
const heldDebit = r.json.transactionId;
r = await w.call("GET", `/api/accounts/${g.id}/transactions?metadata.orderId=H-1`, { token: gina.token });
assert(r.status === 200 && r.json.length === 1 && r.json[0].id === heldDebit && r.json[0].type === "Withdrawal", r.text);
r = await hold(g, gina, { amount: 2, expiresInSeconds: 60, metadata: { k: 1 } });
assert(r.status === 400 && r.json?.errors?.metadata, `hold metadata ${r.status}`);
ok("metadata: stored and returned on deposit/withdraw/transfer/refund/hold (its capture's debit inherits it), history filter metadata.<key>=<value> (URL-encoded); >16 keys, non-strings, long or bad keys/values -> 400");

// Balance at a moment and statements, replayed from the events (exact to the event).
const hank = await w.register("hank");
const hk = await w.defaultAccount(hank, 5000);
const at = (acc, user, q) => w.call("GET", `/api/accounts/${acc.id}/balance${q}`, { token: user.token });
const statement = (acc, user, q) => w.call("GET", `/api/accounts/${acc.id}/statement${q}`, { token: user.token });
const iso = (ms) => new Date(ms).toISOString();
r = await deposit(hk, hank, 100);
await sleep(30);
const T1 = Date.now();
await sleep(30);
r = await post(`/api/accounts/${hk.id}/withdraw`, hank, { amount: 30, description: '=cmd "quoted", x' });
const wAt = Date.parse(r.json.createdAt);
await sleep(30);
const T2 = Date.now();
await sleep(30);
r = await hold(hk, hank, { amount: 10, expiresInSeconds: 60 });
await deposit(hk, hank, 5);
r = await at(hk, hank, `?at=${iso(T1)}`);
assert(r.status === 200 && r.text.includes('"balance":100.00') && r.json.accountId === hk.id && r.json.at === iso(T1), r.text);
r = await at(hk, hank, `?at=${iso(T2)}`);
assert(r.status === 200 && r.text.includes('"balance":70.00') && r.text.includes('"heldBalance":0.00'), r.text);
r = await at(hk, hank, `?at=${iso(wAt)}`);
assert(r.text.includes('"balance":70.00'), `at the withdrawal's own instant ${r.text}`);
r = await at(hk, hank, `?at=${iso(wAt - 1)}`);
assert(r.text.includes('"balance":100.00'), `1 ms before it ${r.text}`);
r = await at(hk, hank, "");
assert(r.text.includes('"balance":75.00') && r.text.includes('"heldBalance":10.00') && r.text.includes('"availableBalance":65.00'), r.text);
r = await at(hk, hank, `?at=${encodeURIComponent(new Date(T2).toISOString().replace("Z", "+00:00"))}`);
assert(r.status === 200 && r.text.includes('"balance":70.00'), `offset form ${r.status} ${r.text}`);
r = await at(hk, hank, "?at=1970-01-01T00:00:00Z");
assert(r.status === 404, `before the account existed ${r.status}`);
for (const q of ["?at=yesterday", "?at=2026-13-01T00:00:00Z", "?at=2026-02-30", "?at=2026-01-01T25:00:00Z"]) {
    r = await at(hk, hank, q);
    assert(r.status === 400 && r.json?.errors?.at, `${q} -> ${r.status} ${r.text}`);
}
r = await at(hk, bob, "");
assert(r.status === 404, `another user's balance ${r.status}`);
ok("balance?at=: replayed to the instant, exact to the event (its own ms in, 1 ms before out), held at that moment; malformed -> 400; before opening or another's -> 404");

r = await statement(hk, hank, `?from=${iso(T1)}&to=${iso(T2)}`);
assert(r.status === 200 && r.text.includes('"openingBalance":100.00') && r.text.includes('"closingBalance":70.00')
       && r.json.entries.length === 1 && r.json.entries[0].type === "Withdrawal" && r.text.includes('"amount":-30.00'), r.text);
r = await statement(hk, hank, "");
assert(r.status === 200 && r.text.includes('"openingBalance":0.00') && r.text.includes('"closingBalance":75.00')
       && r.json.entries.map((x) => x.type).join() === "Deposit,Withdrawal,Deposit", r.text);
r = await statement(hk, hank, `?from=${iso(T2)}&to=${iso(T1)}`);
assert(r.status === 400, `from after to ${r.status}`);
r = await statement(hk, hank, "?format=xml");
assert(r.status === 400, `format=xml ${r.status}`);
r = await statement(hk, hank, "?format=csv");
assert(r.status === 200 && /^text\/csv/.test(r.headers.get("content-type")), `csv ${r.status} ${r.headers.get("content-type")}`);
const lines = r.text.trim().split("\r\n");
assert(lines.length === 6 && lines[0].startsWith("date,transactionId,type,amount,balanceAfter")
       && /,OpeningBalance,,0\.00,ARS,,$/.test(lines[1]) && /,Deposit,100\.00,100\.00,ARS,,""$/.test(lines[2])
       && lines[3].endsWith(`,Withdrawal,-30.00,70.00,ARS,,"'=cmd ""quoted"", x"`)
       && /,ClosingBalance,,75\.00,ARS,,$/.test(lines[5]), r.text);
r = await w.call("GET", `/api/accounts/${hk.id}/statement`, { token: hank.token, headers: { accept: "text/csv" } });
assert(r.status === 200 && /^text\/csv/.test(r.headers.get("content-type")) && r.text.trim().split("\r\n").length === 6,
       `Accept: text/csv ${r.status} ${r.headers.get("content-type")}`);
ok("statement: opening, entries (signed amounts) and closing for a period; CSV with format=csv or Accept: text/csv (quotes doubled, formulas made inert); from > to or a bad format -> 400");

// Across a snapshot (every 100 events): exact before, at and after it.
const ivy = await w.register("ivy");
const iv = await w.defaultAccount(ivy, 5000);
const marks = [];
for (let i = 1; i <= 104; i++) {
    assert((await deposit(iv, ivy, 0.01)).status === 200, "deposit");
    if (i % 10 === 0 || i === 99 || i === 100) { await sleep(2); marks.push([i, Date.now()]); await sleep(2); }
}
for (const [n, t] of marks) {
    r = await at(iv, ivy, `?at=${iso(t)}`);
    assert(minor(r.json.balance) === n && r.json.version === n + 1, `after ${n} deposits: ${r.text}`);
}
const [, t99] = marks.find(([n]) => n === 99);
r = await statement(iv, ivy, `?from=${iso(t99)}`);
assert(r.text.includes('"openingBalance":0.99') && r.text.includes('"closingBalance":1.04') && r.json.entries.length === 5, r.text);
ok("balance at and statements across the snapshot at version 100 stay exact");
