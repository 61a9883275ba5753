// hub.mjs - the SignalR hub end to end with the official clients: @microsoft/signalr
// over JSON and @microsoft/signalr-protocol-msgpack over MessagePack.
//
// Run by hub.sh, which starts walletflow and passes, in the environment:
//   HUB_URL       http://127.0.0.1:PORT/hubs/wallet
//   BROKER        tcp endpoint of walletflow's broker (wf_notify_send plays the outbox relay)
//   NOTIFY_SEND   path of wf_notify_send
//   USER_A, USER_B, USER_C and TOKEN_A, TOKEN_B, TOKEN_C   users and their access tokens
//   TOKEN_EXPIRED an expired token of USER_A
//   JWT_TOOL      path of wf_jwt_tool (WF_JWT_SECRET in the environment), for a short-lived token
//   USER_MAX      connections one user may hold (WF_HUB_USER_CONNECTIONS_MAX)
//   SERVER_PID    walletflow's pid: the last step stops it and expects a close message
// Prints "ok - ..." per check; any failure throws (exit status 1). Every wait is bounded.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import signalR from "@microsoft/signalr";
import msgpack from "@microsoft/signalr-protocol-msgpack";

const env = process.env;
const WAIT_MS = 5000;
const ok = (message) => console.log(`ok - ${message}`);

function assert(condition, message) {
    if (!condition) throw new Error(`assertion failed: ${message}`);
}

// Resolves when predicate() holds, checked after each event a connection reports.
class Inbox {
    constructor(name) {
        this.name = name;
        this.items = [];
        this.waiters = [];
    }
    push(item) {
        this.items.push(item);
        for (const w of this.waiters.slice()) w();
    }
    until(predicate, what, ms = WAIT_MS) {
        return new Promise((resolve, reject) => {
            const check = () => {
                if (!predicate(this.items)) return false;
                clearTimeout(timer);
                this.waiters = this.waiters.filter((w) => w !== check);
                resolve(this.items);
                return true;
            };
            const timer = setTimeout(() => {
                this.waiters = this.waiters.filter((w) => w !== check);
                reject(new Error(`${this.name}: timed out waiting for ${what} (got ${JSON.stringify(this.items)})`));
            }, ms);
            if (!check()) this.waiters.push(check);
        });
    }
}

// Connects one client; BalanceUpdated and close events land in its inbox.
async function connect(name, token, { protocol = "json", skipNegotiation = false, serverTimeoutMs } = {}) {
    const builder = new signalR.HubConnectionBuilder()
        .withUrl(env.HUB_URL, {
            accessTokenFactory: () => token,
            skipNegotiation,
            transport: skipNegotiation ? signalR.HttpTransportType.WebSockets : undefined,
        })
        .configureLogging(signalR.LogLevel.None);
    if (protocol === "messagepack") builder.withHubProtocol(new msgpack.MessagePackHubProtocol());
    const connection = builder.build();
    if (serverTimeoutMs) connection.serverTimeoutInMilliseconds = serverTimeoutMs;
    const inbox = new Inbox(name);
    connection.on("BalanceUpdated", (data) => inbox.push({ event: "BalanceUpdated", data }));
    connection.onclose((error) => inbox.push({ event: "close", error: error ? String(error) : "" }));
    await connection.start();
    return { connection, inbox };
}

// Connects, retrying while the server still counts a connection the client just
// closed (its close frame may not have been read yet): at most 30 tries, 100 ms apart.
async function connectWhenFree(name, token) {
    for (let attempt = 1; ; attempt++) {
        try {
            return await connect(name, token);
        } catch (error) {
            if (attempt >= 30 || !/429/.test(String(error))) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }
}

// Plays the outbox relay: one outbox.deliver to the notifier, waiting for its ack.
function deliver(type, payload, messageId = randomUUID()) {
    execFileSync(env.NOTIFY_SEND, [env.BROKER, type, messageId, JSON.stringify(payload)], {
        stdio: ["ignore", "inherit", "inherit"],
    });
    return messageId;
}

function event(ownerId, amount, balanceAfter, currency = "USD") {
    return {
        transactionId: randomUUID(),
        accountId: randomUUID(),
        ownerId,
        amount,
        currency,
        balanceAfter,
        description: "e2e",
        occurredAt: new Date().toISOString(),
    };
}

const balanceUpdates = (items) => items.filter((i) => i.event === "BalanceUpdated").map((i) => i.data);

async function expectRefused(promise, pattern, what) {
    try {
        await promise;
    } catch (error) {
        assert(pattern.test(String(error)), `${what}: ${error}`);
        return;
    }
    throw new Error(`${what}: the connection was accepted`);
}

// 0. An idle connection (of a user nobody notifies) whose client gives up after 20 s
//    without a message: it survives only if the server pings (after 15 s of silence,
//    checked every second). Checked at the end.
const mint = (user, ...options) =>
    execFileSync(env.JWT_TOOL, ["issue", ...options, user, "e2e@example.com", "E", "E", "User"]).toString().trim();
const idleSince = Date.now();
const idle = await connect("idle", mint(randomUUID()), { serverTimeoutMs: 20000 });

// 1. JSON: each user receives exactly their own notification, with the original's fields.
const a = await connect("A/json", env.TOKEN_A);
const b = await connect("B/json", env.TOKEN_B);
const deposit = event(env.USER_A, 10050, 25000);
deliver("MoneyDeposited", deposit);
deliver("MoneyWithdrawn", event(env.USER_B, 1, 99, "JPY"));
const [forB] = balanceUpdates(await b.inbox.until((i) => balanceUpdates(i).length >= 1, "B's withdrawal"));
const [forA] = balanceUpdates(await a.inbox.until((i) => balanceUpdates(i).length >= 1, "A's deposit"));
assert(forA.type === "Deposit" && forA.amount === 100.5 && forA.currency === "USD", JSON.stringify(forA));
assert(forA.newBalance === 250 && forA.timestamp === deposit.occurredAt, JSON.stringify(forA));
assert(forA.accountId === deposit.accountId && forA.transactionId === deposit.transactionId, "ids");
assert(forB.type === "Withdrawal" && forB.amount === 1 && forB.newBalance === 99 && forB.currency === "JPY",
       JSON.stringify(forB));
// A's notification was published before B's, through the same front: had B been
// sent A's, it would be here already.
assert(balanceUpdates(b.inbox.items).length === 1, "B got only its own notification");
ok("JSON: BalanceUpdated reaches its owner only, with type, amount, currency, newBalance, timestamp, ids");

// 2. MessagePack, side by side with JSON for the same user.
const a2 = await connect("A/messagepack", env.TOKEN_A, { protocol: "messagepack" });
const received = event(env.USER_A, 123456, 1000000, "KWD");
deliver("TransferReceived", received);
const [viaPack] = balanceUpdates(await a2.inbox.until((i) => balanceUpdates(i).length >= 1, "msgpack"));
const [, viaJson] = balanceUpdates(await a.inbox.until((i) => balanceUpdates(i).length >= 2, "json"));
for (const n of [viaPack, viaJson]) {
    assert(n.type === "TransferReceived" && n.amount === 123.456 && n.newBalance === 1000, JSON.stringify(n));
    assert(n.currency === "KWD" && n.transactionId === received.transactionId, JSON.stringify(n));
}
ok("MessagePack: the same notification through @microsoft/signalr-protocol-msgpack");

// 3. A redelivered outbox row is pushed once; other events are not pushed at all.
const twice = randomUUID();
deliver("TransferSent", event(env.USER_B, 5, 94, "JPY"), twice);
deliver("TransferSent", event(env.USER_B, 5, 94, "JPY"), twice);
deliver("AccountOpened", { accountId: randomUUID(), ownerId: env.USER_B, currency: "JPY" });
deliver("TransferRefunded", event(env.USER_B, 5, 99, "JPY"));
const bItems = balanceUpdates(await b.inbox.until((i) => balanceUpdates(i).some((n) => n.type === "TransferRefunded"),
                                                  "refund"));
assert(bItems.map((n) => n.type).join() === "Withdrawal,TransferSent,TransferRefunded", JSON.stringify(bItems));
ok("a redelivered row is pushed once; AccountOpened is not pushed");

// 4. The hub has no methods: an invocation is answered with an error, the connection stays.
await expectRefused(a.connection.invoke("Transfer", 1), /Unknown hub method 'Transfer'/, "invoke");
assert(a.connection.state === signalR.HubConnectionState.Connected, "still connected");
ok("invoking a method gets a completion error");

// 5. Tokens: an expired one is refused at negotiate and at the WebSocket (401).
await expectRefused(connect("expired", env.TOKEN_EXPIRED), /401/, "expired token, negotiate");
await expectRefused(connect("expired/ws", env.TOKEN_EXPIRED, { skipNegotiation: true }),
                    /WebSocket failed to connect/, "expired token, WebSocket");
await expectRefused(connect("garbage", "not.a.token"), /401/, "garbage token");
ok("expired and malformed tokens are refused (401)");

// 6. A token that expires while connected: the server closes with an error.
const short = await connect("short", mint(env.USER_A, "--ttl", "2"));
const closes = (items) => items.filter((e) => e.event === "close");
const [closed] = closes(await short.inbox.until((i) => closes(i).length > 0, "close on expiry", 15000));
assert(/expired/.test(closed.error), closed.error);
ok("a connection is closed with an error when its token expires");

// 7. At most USER_MAX connections per user (skipNegotiation too); a freed place is usable again.
const max = Number(env.USER_MAX);
const cs = [];
for (let i = 0; i < max; i++) cs.push(await connect(`C${i}`, env.TOKEN_C, { skipNegotiation: i % 2 === 1 }));
await expectRefused(connect("C-over", env.TOKEN_C), /429/, "negotiate over the per-user limit");
await expectRefused(connect("C-over/ws", env.TOKEN_C, { skipNegotiation: true }), /WebSocket failed to connect/,
                    "WebSocket over the per-user limit");
await cs.pop().connection.stop();
const spare = await connectWhenFree("C-again", env.TOKEN_C);
deliver("MoneyDeposited", event(env.USER_C, 1, 1));
await spare.inbox.until((i) => balanceUpdates(i).length === 1, "C's deposit on the last connection");
for (const c of cs) await c.inbox.until((i) => balanceUpdates(i).length === 1, `${c.inbox.name}'s deposit`);
cs.push(spare);
ok(`a user holds at most ${max} connections, and all of them receive`);
for (const c of cs) await c.connection.stop();
await b.connection.stop();
await a2.connection.stop();

// 0. (continued) The idle connection is alive past the client's server timeout.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, idleSince + 22000 - Date.now())));
assert(idle.connection.state === signalR.HubConnectionState.Connected, `idle: ${JSON.stringify(idle.inbox.items)}`);
assert(!idle.inbox.items.some((e) => e.event === "close"), "idle connection not closed");
ok("the server pings an idle connection (the client's 20 s server timeout never fires)");
await idle.connection.stop();

// 8. Drain: SIGTERM closes the hub's connections with a close message, then the server exits.
process.kill(Number(env.SERVER_PID), "SIGTERM");
const [bye] = closes(await a.inbox.until((i) => closes(i).length > 0, "close on drain", 10000));
assert(/shutting down/.test(bye.error), bye.error);
ok("draining sends a close message to connected clients");
