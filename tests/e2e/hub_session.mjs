// hub_session.mjs - the hub's session guarantees with the official clients:
//   1. stateful reconnect (withStatefulReconnect): the TCP connection is cut in the
//      middle of five transfers - one notification lost in flight, two sent while the
//      client is away - and the client still receives all five, in order, once
//      (JSON, then MessagePack);
//   2. a client away for more notifications than the replay buffer holds is told to
//      resync (a close message with an error) and reads its balance through REST;
//   3. logging out closes the user's connections within a second;
//   4. reusing a consumed refresh token (its family is revoked) does the same;
//   5. a client away longer than the reconnect window finds its connection gone: its
//      reconnect is refused (404) and it closes with an error.
//
//   node hub_session.mjs BASE_URL REPLAY_MAX WINDOW_MS
// BASE_URL is walletflow's front; REPLAY_MAX its --hub-replay-messages-max, WINDOW_MS
// its --hub-reconnect-window-ms. The cut is
// made by a small TCP proxy in this script, between the SignalR client and the front:
// it can swallow bytes (a connection that looks alive but delivers nothing), drop
// every connection, and hold new ones until it is told to let them through.
import net from "node:net";
import signalR from "@microsoft/signalr";
import msgpack from "@microsoft/signalr-protocol-msgpack";
import { Wallet, assert } from "./wallet.mjs";

const base = process.argv[2];
const replayMax = Number(process.argv[3]);
const windowMs = Number(process.argv[4]);
const WAIT_MS = Number(process.env.HUB_WAIT_MS || 10000);
const w = new Wallet(base);
const ok = (m) => console.log(`ok - ${m}`);

// A TCP proxy to the front that the test can break.
class Proxy {
    constructor(port) {
        this.port = port;
        this.mode = "pass"; // pass | swallow (bytes are dropped) | hold (new connections wait)
        this.pairs = new Set();
        this.held = [];
        this.accepted = 0;
    }
    async listen() {
        this.server = net.createServer((client) => {
            this.accepted++;
            client.on("error", () => {});
            if (this.mode === "hold") {
                client.pause();
                this.held.push(client);
            } else this.pipe(client);
        });
        await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return this.server.address().port;
    }
    pipe(client) {
        const upstream = net.connect(this.port, "127.0.0.1");
        const pair = { client, upstream };
        this.pairs.add(pair);
        upstream.on("error", () => {});
        const forward = (from, to) =>
            from.on("data", (chunk) => {
                if (this.mode !== "swallow") to.write(chunk);
            });
        forward(client, upstream);
        forward(upstream, client);
        const end = () => {
            this.pairs.delete(pair);
            client.destroy();
            upstream.destroy();
        };
        client.on("close", end);
        upstream.on("close", end);
        client.resume();
    }
    swallow() {
        this.mode = "swallow";
    }
    // Drops every connection without a WebSocket close; new ones wait.
    cut() {
        this.mode = "hold";
        for (const { client, upstream } of this.pairs) {
            client.destroy();
            upstream.destroy();
        }
        this.pairs.clear();
    }
    resume() {
        this.mode = "pass";
        for (const client of this.held.splice(0)) this.pipe(client);
    }
    close() {
        this.cut();
        for (const client of this.held.splice(0)) client.destroy();
        this.server.close();
    }
}

// Waits for predicate(), re-checked every 20 ms, at most ms.
async function until(predicate, what, ms = WAIT_MS) {
    const end = Date.now() + ms;
    for (;;) {
        const value = await predicate();
        if (value) return value;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

// The front's count of notifications it queued to connections (live or detached).
async function sentTotal() {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("wf_hub_notifications_sent_total"));
    return line ? Number(line.split(" ").pop()) : 0;
}

// A hub client of user, through url; BalanceUpdated and close land in its lists.
async function listen(user, { url = `${base}/hubs/wallet`, protocol = "json", stateful = false } = {}) {
    const builder = new signalR.HubConnectionBuilder()
        .withUrl(url, { accessTokenFactory: () => user.token })
        .configureLogging(signalR.LogLevel.None);
    if (stateful) builder.withStatefulReconnect();
    if (protocol === "messagepack") builder.withHubProtocol(new msgpack.MessagePackHubProtocol());
    const connection = builder.build();
    const client = { connection, received: [], closed: [] };
    connection.on("BalanceUpdated", (n) => client.received.push(n));
    connection.onclose((error) => client.closed.push({ at: Date.now(), error: error ? String(error) : "" }));
    await connection.start();
    return client;
}

async function post(user, path, body) {
    const res = await w.call("POST", path, { token: user.token, body });
    assert(res.status === 200, `${path}: ${res.status} ${res.text}`);
    return res.json;
}

// A registered user with its default wallet; refresh holds its refresh token.
async function user(tag) {
    const email = `${tag}.${Date.now()}.${Math.floor(Math.random() * 1e9)}@example.com`;
    const res = await w.call("POST", "/api/auth/register", {
        body: { email, firstName: "Test", lastName: tag, password: "Str0ng!Passw0rd" },
    });
    assert(res.status === 201, `register ${tag}: ${res.status} ${res.text}`);
    const u = { token: res.json.accessToken, refresh: res.json.refreshToken, userId: res.json.user.id, email };
    u.account = await w.defaultAccount(u);
    return u;
}

// 1. Five transfers across a cut connection, with stateful reconnect.
async function statefulReconnect(protocol) {
    const alice = await user(`stateful-a-${protocol}`);
    const bob = await user(`stateful-b-${protocol}`);
    await post(alice, `/api/accounts/${alice.account.id}/deposit`, { amount: "100.00" });
    const proxy = new Proxy(Number(new URL(base).port));
    const port = await proxy.listen();
    const client = await listen(bob, { url: `http://127.0.0.1:${port}/hubs/wallet`, protocol, stateful: true });
    const amounts = ["1.01", "1.02", "1.03", "1.04", "1.05"];
    const transfer = (amount) =>
        post(alice, `/api/accounts/${alice.account.id}/transfer`, { destinationAccountId: bob.account.id, amount });
    const has = (count) => () => client.received.length >= count;

    await transfer(amounts[0]);
    await transfer(amounts[1]);
    await until(has(2), "the first two notifications");
    // The third is written by the server and lost on the way.
    proxy.swallow();
    let sent = await sentTotal();
    await transfer(amounts[2]);
    await until(async () => (await sentTotal()) >= sent + 1, "the third notification sent");
    // The connection drops; the client's reconnect waits while two more commit.
    proxy.cut();
    sent = await sentTotal();
    await transfer(amounts[3]);
    await transfer(amounts[4]);
    await until(async () => (await sentTotal()) >= sent + 2, "two notifications for the detached connection");
    assert(client.received.length === 2, `received while away: ${JSON.stringify(client.received)}`);
    await until(() => proxy.held.length > 0, "the client's reconnect");
    proxy.resume();
    await until(has(5), "all five after the reconnect");
    // One more, committed after: once it is here, any duplicate would be too.
    await transfer("1.06");
    await until(has(6), "the sixth");
    const got = client.received.map((n) => n.amount.toFixed(2));
    assert(got.join() === [...amounts, "1.06"].join(), `order and count: ${got.join()}`);
    let balance = 0;
    for (const n of client.received) {
        balance += Math.round(n.amount * 100);
        assert(n.type === "TransferReceived" && Math.round(n.newBalance * 100) === balance, JSON.stringify(n));
    }
    assert(client.closed.length === 0, `closed: ${JSON.stringify(client.closed)}`);
    assert(client.connection.state === signalR.HubConnectionState.Connected, client.connection.state);
    assert(proxy.accepted >= 2, `the client reconnected (${proxy.accepted} connections)`);
    // A clean stop: its WebSocket close reaches the server, which frees the connection.
    await client.connection.stop();
    await until(() => proxy.pairs.size === 0, "the closing handshake");
    proxy.close();
    ok(`${protocol}: a connection cut during five transfers still delivers all five, in order, once`);
}

// 2. Away for more than the replay buffer holds: told to resync, then REST has the truth.
async function resync() {
    const carol = await user("resync");
    const proxy = new Proxy(Number(new URL(base).port));
    const port = await proxy.listen();
    const client = await listen(carol, { url: `http://127.0.0.1:${port}/hubs/wallet`, stateful: true });
    proxy.cut();
    const deposits = replayMax + 2;
    const sent = await sentTotal();
    for (let i = 0; i < deposits; i++) await post(carol, `/api/accounts/${carol.account.id}/deposit`, { amount: 1 });
    await until(async () => (await sentTotal()) >= sent + deposits, "every deposit's notification");
    await until(() => proxy.held.length > 0, "the client's reconnect");
    proxy.resume();
    const [closed] = await until(() => client.closed.length > 0 && client.closed, "the resync close");
    assert(/Resync required/.test(closed.error), closed.error);
    assert(client.received.length === 0, `received ${client.received.length}`);
    const account = await w.call("GET", `/api/accounts/${carol.account.id}`, { token: carol.token });
    assert(account.status === 200 && account.json.balance === deposits, JSON.stringify(account.json));
    proxy.close();
    ok(`a client away for ${deposits} notifications (buffer ${replayMax}) is told to resync; REST has the balance`);
}

// Two connections of user (JSON and MessagePack), then action(); both must close with a
// "revoked" error within a second of action's end.
async function closesWithinASecond(user, what, action) {
    const clients = [await listen(user), await listen(user, { protocol: "messagepack" })];
    await action();
    const done = Date.now();
    await until(() => clients.every((c) => c.closed.length > 0), `both connections closed after ${what}`, 5000);
    for (const c of clients) {
        const [closed] = c.closed;
        assert(/revoked/.test(closed.error), closed.error);
        assert(closed.at - done <= 1000, `${what}: closed ${closed.at - done} ms later`);
    }
    return Math.max(...clients.map((c) => c.closed[0].at - done));
}

// The front's gauge of detached (dropped, awaiting reconnect) connections.
async function detached() {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("wf_hub_connections_detached"));
    return line ? Number(line.split(" ").pop()) : 0;
}

// 3. Logout; a third connection, stateful and away at the time, hears it at its reconnect.
async function logout() {
    const dave = await user("logout");
    const proxy = new Proxy(Number(new URL(base).port));
    const port = await proxy.listen();
    const away = await listen(dave, { url: `http://127.0.0.1:${port}/hubs/wallet`, stateful: true });
    const before = await detached();
    proxy.cut();
    await until(async () => (await detached()) > before, "the away connection detached");
    const ms = await closesWithinASecond(dave, "logout", async () => {
        const res = await w.call("POST", "/api/auth/logout", { token: dave.token, body: { refreshToken: dave.refresh } });
        assert(res.status === 204, `logout: ${res.status} ${res.text}`);
    });
    await until(() => proxy.held.length > 0, "the away client's reconnect");
    proxy.resume();
    const [closed] = await until(() => away.closed.length > 0 && away.closed, "the away client's close");
    assert(/revoked/.test(closed.error), closed.error);
    proxy.close();
    ok(`logout closes the user's connections (JSON and MessagePack) within a second (${ms} ms); ` +
       "one away at the time is told at its reconnect");
}

// 4. A consumed refresh token presented again: the family is revoked, connections close.
async function reuse() {
    const erin = await user("reuse");
    const first = erin.refresh;
    const res = await w.call("POST", "/api/auth/refresh", { body: { refreshToken: first } });
    assert(res.status === 200, `refresh: ${res.status} ${res.text}`);
    erin.token = res.json.accessToken;
    const ms = await closesWithinASecond(erin, "reuse", async () => {
        const replay = await w.call("POST", "/api/auth/refresh", { body: { refreshToken: first } });
        assert(replay.status === 401, `replayed refresh: ${replay.status} ${replay.text}`);
    });
    ok(`reusing a consumed refresh token closes the user's connections within a second (${ms} ms)`);
}

// 5. Away past the reconnect window: the connection is gone, the reconnect is refused.
async function windowPassed() {
    const frank = await user("window");
    const proxy = new Proxy(Number(new URL(base).port));
    const port = await proxy.listen();
    const client = await listen(frank, { url: `http://127.0.0.1:${port}/hubs/wallet`, stateful: true });
    proxy.cut();
    await post(frank, `/api/accounts/${frank.account.id}/deposit`, { amount: 7 });
    await until(() => proxy.held.length > 0, "the client's reconnect");
    await new Promise((resolve) => setTimeout(resolve, windowMs + 1500));
    proxy.resume();
    const [closed] = await until(() => client.closed.length > 0 && client.closed, "the close", 5000);
    assert(closed.error !== "", "closed with an error");
    assert(client.received.length === 0, `received ${client.received.length}`);
    const account = await w.call("GET", `/api/accounts/${frank.account.id}`, { token: frank.token });
    assert(account.status === 200 && account.json.balance === 7, JSON.stringify(account.json));
    proxy.close();
    ok(`a client away past the ${windowMs} ms window is refused and closes with an error; REST has the balance`);
}

await statefulReconnect("json");
await statefulReconnect("messagepack");
await resync();
await logout();
await reuse();
await windowPassed();
