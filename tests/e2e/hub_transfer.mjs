// hub_transfer.mjs - the whole path: a transfer commits, the outbox relay delivers
// it to the notifier, the hub pushes BalanceUpdated to the receiver's client.
//
//   node hub_transfer.mjs BASE_URL [json|messagepack]     (HUB_WAIT_MS: each wait, default 5000)
// Registers two users through the API (their wallets open by themselves),
// connects B's official SignalR client, deposits to A, transfers A -> B and
// expects exactly one BalanceUpdated (TransferReceived) at B, with B's new
// balance, and exactly A's two at A. Every wait is bounded.
import signalR from "@microsoft/signalr";
import msgpack from "@microsoft/signalr-protocol-msgpack";
import { Wallet, assert } from "./wallet.mjs";

const base = process.argv[2];
const protocol = process.argv[3] || "json";
const w = new Wallet(base);
const ok = (m) => console.log(`ok - ${m} (${protocol})`);

// Connects a user's client; its BalanceUpdated arrive in the returned list.
async function listen(user) {
    const builder = new signalR.HubConnectionBuilder()
        .withUrl(`${base}/hubs/wallet`, { accessTokenFactory: () => user.token })
        .configureLogging(signalR.LogLevel.None);
    if (protocol === "messagepack") builder.withHubProtocol(new msgpack.MessagePackHubProtocol());
    const connection = builder.build();
    const received = [];
    let wake = () => {};
    connection.on("BalanceUpdated", (data) => {
        received.push(data);
        wake();
    });
    await connection.start();
    const until = (count, what, ms = Number(process.env.HUB_WAIT_MS || 5000)) =>
        new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(received)}`)), ms);
            wake = () => {
                if (received.length >= count) {
                    clearTimeout(timer);
                    resolve(received);
                }
            };
            wake();
        });
    return { connection, received, until };
}

const alice = await w.register("hub-alice");
const bob = await w.register("hub-bob");
const a = await w.defaultAccount(alice);
const b = await w.defaultAccount(bob);
const aliceHub = await listen(alice);
const bobHub = await listen(bob);

const deposit = await w.call("POST", `/api/accounts/${a.id}/deposit`, { token: alice.token, body: { amount: "100.50" } });
assert(deposit.status === 200, `deposit: ${deposit.status} ${deposit.text}`);
const transfer = await w.call("POST", `/api/accounts/${a.id}/transfer`, {
    token: alice.token,
    body: { destinationAccountId: b.id, amount: "40.25" },
});
assert(transfer.status === 200, `transfer: ${transfer.status} ${transfer.text}`);

const [received] = await bobHub.until(1, "B's TransferReceived");
assert(received.type === "TransferReceived" && received.amount === 40.25, JSON.stringify(received));
assert(received.newBalance === 40.25 && received.accountId === b.id && received.currency === b.currency,
       JSON.stringify(received));
const [dep, sent] = await aliceHub.until(2, "A's Deposit and TransferSent");
assert(dep.type === "Deposit" && dep.amount === 100.5 && dep.newBalance === 100.5, JSON.stringify(dep));
assert(sent.type === "TransferSent" && sent.amount === 40.25 && sent.newBalance === 60.25, JSON.stringify(sent));
assert(sent.transactionId && received.transactionId, "transaction ids");
// One more deposit to A, committed after B's notification: once A has it, any
// second copy of B's (a redelivery the notifier failed to drop) would have
// passed through the same relay, notifier and front before it.
const more = await w.call("POST", `/api/accounts/${a.id}/deposit`, { token: alice.token, body: { amount: 1 } });
assert(more.status === 200, `deposit: ${more.status}`);
await aliceHub.until(3, "A's second deposit");
assert(bobHub.received.length === 1, `B received ${JSON.stringify(bobHub.received)}`);
ok("a transfer reaches the receiver's client exactly once, with the new balance");
await aliceHub.connection.stop();
await bobHub.connection.stop();
