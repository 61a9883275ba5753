// accounts.mjs - the account API end to end: the wallet appears by itself,
// deposits/withdrawals/transfers with exact money, the original's rules,
// ownership, history, idempotency (10 concurrent requests, one key).
import { Wallet, assert, minor } from "./wallet.mjs";

const w = new Wallet(process.argv[2]);
const ok = (m) => console.log(`ok - ${m}`);

const alice = await w.register("alice");
const bob = await w.register("bob");
const start = Date.now();
const a = await w.defaultAccount(alice, 5000);
const b = await w.defaultAccount(bob, 5000);
ok(`default wallets appear by themselves (${Date.now() - start} ms)`);
assert(a.currency === "ARS" && a.status === "Active" && a.balance === 0, JSON.stringify(a));
assert(/^WF-\d{8}-[0-9A-F]{8}-.$/.test(a.accountNumber), a.accountNumber);
assert(a.ownerId === alice.userId, "owner");

const dep = (acc, user, amount, extra = {}) =>
    w.call("POST", `/api/accounts/${acc.id}/deposit`, { token: user.token, body: { amount, ...extra } });

// Exact money: 100.50 stays 100.50, never a float.
let r = await dep(a, alice, 100.5);
assert(r.status === 200, `deposit ${r.status} ${r.text}`);
assert(r.text.includes('"amount":100.50') && r.text.includes('"balanceAfter":100.50'), r.text);
assert(r.json.type === "Deposit" && r.json.destinationAccountId === null, r.text);
r = await w.call("POST", `/api/accounts/${a.id}/deposit`, { token: alice.token, raw: '{"amount":"0.01"}' });
assert(r.status === 200 && r.text.includes('"balanceAfter":100.51'), r.text);
ok("deposits keep the scale (100.50), amounts as numbers or strings");

// Bad amounts: each a 400 naming `amount`.
for (const raw of ['{"amount":0}', '{"amount":-5}', '{"amount":1.001}', '{"amount":1e2}',
                   '{"amount":"abc"}', '{"amount":true}', '{}', '{"amount":1000000.01}',
                   '{"amount":99999999999999999999999}']) {
    r = await w.call("POST", `/api/accounts/${a.id}/deposit`, { token: alice.token, raw });
    assert(r.status === 400 && r.json?.errors?.amount, `${raw} -> ${r.status} ${r.text}`);
}
r = await dep(a, alice, 1000000);
assert(r.status === 200, `deposit at the maximum ${r.status} ${r.text}`);
r = await w.call("POST", `/api/accounts/${a.id}/withdraw`, { token: alice.token, body: { amount: 1000000 } });
assert(r.status === 200 && r.text.includes('"balanceAfter":100.51'), r.text);
ok("invalid amounts -> 400 with errors.amount; the deposit maximum holds at N, refuses N+1");

// Withdraw more than the balance -> 422 insufficient funds, no trace.
r = await w.call("POST", `/api/accounts/${a.id}/withdraw`, { token: alice.token, body: { amount: 100.52 } });
assert(r.status === 422 && /nsufficient/.test(r.text), r.text);
r = await w.call("POST", `/api/accounts/${a.id}/withdraw`, { token: alice.token, body: { amount: 100.51 } });
assert(r.status === 200 && r.text.includes('"balanceAfter":0.00'), "withdraw the exact balance: " + r.text);
await dep(a, alice, 1000);
ok("insufficient funds -> 422; withdrawing the exact balance is fine");

// Currency must match.
r = await dep(a, alice, 1, { currency: "USD" });
assert(r.status === 422, `currency mismatch ${r.status} ${r.text}`);

// Transfer 300 of 1000 -> 700 and 300, the credit arrives by itself.
r = await w.call("POST", `/api/accounts/${a.id}/transfer`, {
    token: alice.token, body: { destinationAccountId: b.id, amount: 300, description: "rent" } });
assert(r.status === 200 && r.json.type === "Transfer" && r.text.includes('"balanceAfter":700.00'), r.text);
assert(r.json.destinationAccountId === b.id, "destination in the dto");
const transferId = r.json.id;
let end = Date.now() + 3000, bb;
do { bb = (await w.call("GET", `/api/accounts/${b.id}`, { token: bob.token })).json; }
while (bb.balance !== 300 && Date.now() < end && await new Promise((x) => setTimeout(x, 20)) === undefined);
assert(bb.balance === 300, `receiver balance ${JSON.stringify(bb)}`);
r = await w.call("GET", `/api/transfers/${transferId}`, { token: bob.token });
assert(r.status === 200 && r.json.status === "Completed" && r.text.includes('"amount":300.00'), r.text);
r = await w.call("GET", `/api/transfers/${transferId}`, { token: (await w.register("eve")).token });
assert(r.status === 404, `a stranger reads the transfer: ${r.status}`);
ok("transfer 300 of 1000 -> 700 and 300 (credit leg through the outbox); its state is queryable");

// Transfer errors: unknown destination, itself, other currency.
r = await w.call("POST", `/api/accounts/${a.id}/transfer`, { token: alice.token,
    body: { destinationAccountId: "00000000-0000-4000-8000-000000000000", amount: 1 } });
assert(r.status === 422, `unknown destination ${r.status}`);
r = await w.call("POST", `/api/accounts/${a.id}/transfer`, { token: alice.token,
    body: { destinationAccountId: a.id, amount: 1 } });
assert(r.status === 422, `to itself ${r.status}`);
r = await w.call("POST", "/api/accounts", { token: alice.token, body: { currency: "USD" } });
assert(r.status === 201 && r.headers.get("location") === `/api/accounts/${r.json.id}`, r.text);
const usd = r.json;
r = await w.call("POST", `/api/accounts/${a.id}/transfer`, { token: alice.token,
    body: { destinationAccountId: usd.id, amount: 1 } });
assert(r.status === 422, `currency mismatch transfer ${r.status} ${r.text}`);
r = await w.call("POST", "/api/accounts", { token: alice.token, body: { currency: "XYZ" } });
assert(r.status === 400, `unknown currency ${r.status} ${r.text}`);
ok("transfer to unknown / itself / other currency -> 422; open USD -> 201 + Location; XYZ -> 400");

// Ownership: bob cannot see or move alice's money (404), no token -> 401.
r = await w.call("GET", `/api/accounts/${a.id}`, { token: bob.token });
assert(r.status === 404, `other's account ${r.status}`);
r = await w.call("POST", `/api/accounts/${a.id}/withdraw`, { token: bob.token, body: { amount: 1 } });
assert(r.status === 404, `other's withdraw ${r.status}`);
r = await w.call("GET", `/api/accounts/${a.id}`);
assert(r.status === 401, `no token ${r.status}`);
r = await w.call("POST", `/api/accounts/${a.id}/suspend`, { token: alice.token, body: { reason: "x" } });
assert(r.status === 403, `suspend as a user ${r.status}`);
ok("another user's account -> 404; no token -> 401; suspend by a non-admin -> 403");

// History: newest first, incoming transfers included, cursor paging.
r = await w.call("GET", `/api/accounts/${b.id}/transactions`, { token: bob.token });
assert(r.status === 200 && r.json.length === 1 && r.json[0].type === "TransferReceived"
       && r.json[0].id === transferId, r.text);
r = await w.call("GET", `/api/accounts/${a.id}/transactions?limit=2`, { token: alice.token });
assert(r.status === 200 && r.json.length === 2 && r.json[0].type === "Transfer", r.text);
const cursor = r.headers.get("x-next-before");
assert(cursor, "a next cursor");
const r2 = await w.call("GET", `/api/accounts/${a.id}/transactions?limit=100&before=${cursor}`, { token: alice.token });
assert(r2.status === 200 && r2.json.length === 5 && !r2.json.some((t) => r.json.some((u) => u.id === t.id && u.type === t.type)), r2.text);
ok("history newest first, incoming transfers included, cursor paging without overlap");

// Idempotency: the same request 10 times at once -> one effect, identical answers.
const key = `k-${Date.now()}`;
const before = (await w.call("GET", `/api/accounts/${a.id}`, { token: alice.token })).json.balance;
const answers = await Promise.all(Array.from({ length: 10 }, () =>
    w.call("POST", `/api/accounts/${a.id}/deposit`, { token: alice.token, body: { amount: 5 },
        headers: { "idempotency-key": key } })));
assert(answers.every((x) => x.status === 200 && x.text === answers[0].text), answers.map((x) => x.status + x.text).join("\n"));
const after = (await w.call("GET", `/api/accounts/${a.id}`, { token: alice.token })).json.balance;
assert(minor(after) - minor(before) === 500, `one effect: ${before} -> ${after}`);
r = await w.call("POST", `/api/accounts/${a.id}/deposit`, { token: alice.token, body: { amount: 6 },
    headers: { "idempotency-key": key } });
assert(r.status === 422, `same key, other body ${r.status} ${r.text}`);
ok("10 concurrent requests with one Idempotency-Key: one effect, identical responses; other body -> 422");
