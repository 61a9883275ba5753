// ledger_hub.mjs - issue 10's events reach the SignalR hub: the official client
// of one user receives BalanceUpdated of types HoldPlaced, HoldCaptured,
// HoldReleased (void and expiry) and Refund, in commit order, with the balance.
//   node ledger_hub.mjs BASE        (HUB_WAIT_MS: the wait, default 5000)
import signalR from "@microsoft/signalr";
import { Wallet, assert } from "./wallet.mjs";

const base = process.argv[2];
const w = new Wallet(base);
const user = await w.register("hub-ledger");
const acc = await w.defaultAccount(user);
const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${base}/hubs/wallet`, { accessTokenFactory: () => user.token })
    .configureLogging(signalR.LogLevel.None)
    .build();
const received = [];
let wake = () => {};
connection.on("BalanceUpdated", (data) => { received.push(data); wake(); });
await connection.start();
const post = async (path, body) => {
    const r = await w.call("POST", path, { token: user.token, body });
    assert(r.status === 200 || r.status === 201, `${path}: ${r.status} ${r.text}`);
    return r.json;
};
const dep = await post(`/api/accounts/${acc.id}/deposit`, { amount: 100 });
const h1 = await post(`/api/accounts/${acc.id}/holds`, { amount: 30, expiresInSeconds: 60 });
await post(`/api/holds/${h1.id}/capture`, { amount: 10 });
const h2 = await post(`/api/accounts/${acc.id}/holds`, { amount: 5, expiresInSeconds: 60 });
await post(`/api/holds/${h2.id}/void`, {});
await post(`/api/transactions/${dep.id}/refund`, { amount: 20 });
const h3 = await post(`/api/accounts/${acc.id}/holds`, { amount: 7, expiresInSeconds: 1 });
const want = [["Deposit", 100, 100], ["HoldPlaced", 30, 100], ["HoldCaptured", 10, 100], ["Withdrawal", 10, 90],
              ["HoldPlaced", 5, 90], ["HoldReleased", 5, 90], ["Refund", 20, 70], ["HoldPlaced", 7, 70],
              ["HoldReleased", 7, 70]];
await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(received)}`)),
                             Number(process.env.HUB_WAIT_MS || 5000));
    wake = () => { if (received.length >= want.length) { clearTimeout(timer); resolve(); } };
    wake();
});
const got = received.map((x) => [x.type, x.amount, x.newBalance]);
assert(JSON.stringify(got) === JSON.stringify(want), `got ${JSON.stringify(got)}`);
assert(received[1].transactionId === h1.id && received[8].transactionId === h3.id, JSON.stringify(received));
console.log("ok - BalanceUpdated HoldPlaced, HoldCaptured, HoldReleased (void, expiry) and Refund reach the hub in order");
await connection.stop();
