// hub_bench.mjs - the hub's two benchmarks, run by hub_bench.sh (not a test):
//   1. latency from commit to the client: USERS users deposit NOTIFICATIONS times in
//      all (each user one request at a time); every BalanceUpdated their official
//      SignalR clients receive is timed from its timestamp (the event's occurredAt,
//      stamped by the account shard as it applies the command, just before the group
//      commit) to the client's callback; p50/p90/p99/max are printed;
//   2. IDLE_CLIENTS idle WebSocket clients (one user each, tokens minted here with
//      the server's key) held open at once, with walletflow's RSS before, with all of
//      them connected, and after a keep-alive interval, read from /proc.
//
//   node hub_bench.mjs BASE_URL SERVER_PID     (WF_JWT_SECRET: the server's key)
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import signalR from "@microsoft/signalr";
import { Wallet, assert } from "./wallet.mjs";

const base = process.argv[2];
const pid = Number(process.argv[3]);
const NOTIFICATIONS = Number(process.env.NOTIFICATIONS || 1200);
const USERS = Number(process.env.USERS || 8);
const IDLE_CLIENTS = Number(process.env.IDLE_CLIENTS || 2000);
const IDLE_HOLD_MS = Number(process.env.IDLE_HOLD_MS || 20000);
const w = new Wallet(base);

const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function until(predicate, what, ms) {
    const end = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
    }
}

async function latency() {
    const users = [];
    for (let i = 0; i < USERS; i++) {
        const u = await w.register(`bench${i}`);
        u.account = await w.defaultAccount(u);
        users.push(u);
    }
    const samples = [];
    const clients = [];
    for (const u of users) {
        const connection = new signalR.HubConnectionBuilder()
            .withUrl(`${base}/hubs/wallet`, { accessTokenFactory: () => u.token })
            .configureLogging(signalR.LogLevel.None)
            .build();
        connection.on("BalanceUpdated", (n) => samples.push(Date.now() - Date.parse(n.timestamp)));
        await connection.start();
        clients.push(connection);
    }
    const perUser = Math.ceil(NOTIFICATIONS / USERS);
    const started = Date.now();
    await Promise.all(
        users.map(async (u) => {
            for (let i = 0; i < perUser; i++) {
                const res = await w.call("POST", `/api/accounts/${u.account.id}/deposit`, {
                    token: u.token,
                    body: { amount: "1.00" },
                });
                assert(res.status === 200, `deposit: ${res.status} ${res.text}`);
            }
        }),
    );
    const total = perUser * USERS;
    await until(() => samples.length >= total, `${total} notifications`, 60000);
    const seconds = (Date.now() - started) / 1000;
    const sorted = samples.slice().sort((a, b) => a - b);
    console.log(
        `latency commit -> client (occurredAt -> BalanceUpdated callback), ${sorted.length} notifications, ` +
            `${USERS} users, ${(total / seconds).toFixed(0)} deposits/s: ` +
            `p50 ${percentile(sorted, 50)} ms, p90 ${percentile(sorted, 90)} ms, ` +
            `p99 ${percentile(sorted, 99)} ms, max ${sorted[sorted.length - 1]} ms`,
    );
    for (const c of clients) await c.stop();
}

// An access token as walletflow's identity service would issue it (HS256, its key).
function mint(sub) {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const head = b64({ alg: "HS256", typ: "JWT" });
    const body = b64({
        aud: "WalletFlow",
        email: `${sub}@example.com`,
        exp: now + 3600,
        firstName: "Idle",
        iat: now,
        iss: "WalletFlow.Identity",
        jti: randomUUID(),
        lastName: "Client",
        nbf: now,
        role: "User",
        sub,
    });
    const mac = createHmac("sha256", process.env.WF_JWT_SECRET).update(`${head}.${body}`).digest("base64url");
    return `${head}.${body}.${mac}`;
}

async function idle() {
    await sleep(1000); // the latency clients' slots are freed
    const before = rssKiB();
    const clients = [];
    const started = Date.now();
    for (let batch = 0; batch < IDLE_CLIENTS; batch += 100) {
        const wave = [];
        for (let i = batch; i < Math.min(IDLE_CLIENTS, batch + 100); i++) {
            const token = mint(randomUUID());
            const connection = new signalR.HubConnectionBuilder()
                .withUrl(`${base}/hubs/wallet`, { accessTokenFactory: () => token })
                .configureLogging(signalR.LogLevel.None)
                .build();
            clients.push(connection);
            wave.push(connection.start());
        }
        await Promise.all(wave);
    }
    const connectSeconds = (Date.now() - started) / 1000;
    const open = rssKiB();
    await sleep(IDLE_HOLD_MS);
    const held = rssKiB();
    const alive = clients.filter((c) => c.state === signalR.HubConnectionState.Connected).length;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const gauge = /^wf_hub_connections (\d+)/m.exec(metrics);
    console.log(
        `idle clients: ${IDLE_CLIENTS} connected in ${connectSeconds.toFixed(1)} s; ` +
            `${alive} still connected after ${IDLE_HOLD_MS / 1000} s (server gauge ${gauge ? gauge[1] : "?"})`,
    );
    console.log(
        `walletflow RSS: ${(before / 1024).toFixed(1)} MiB before, ${(open / 1024).toFixed(1)} MiB with ` +
            `${IDLE_CLIENTS} open, ${(held / 1024).toFixed(1)} MiB after ${IDLE_HOLD_MS / 1000} s idle ` +
            `(${((held - before) / IDLE_CLIENTS).toFixed(1)} KiB per connection)`,
    );
    assert(alive === IDLE_CLIENTS, `${IDLE_CLIENTS - alive} idle clients dropped`);
    await Promise.all(clients.map((c) => c.stop()));
}

if (NOTIFICATIONS > 0) await latency();
if (IDLE_CLIENTS > 0) await idle();
