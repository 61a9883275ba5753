// tls.mjs - the API and the SignalR hub over TLS (HTTPS + WSS).
//
//   NODE_EXTRA_CA_CERTS=cert.pem node tls.mjs https://127.0.0.1:PORT
// Registers, logs in, connects the official SignalR client over a WebSocket
// only (wss://, no fallback transport), deposits and expects the deposit's
// BalanceUpdated on that connection. Every wait is bounded (HUB_WAIT_MS).
import signalR from "@microsoft/signalr";
import { Wallet, assert } from "./wallet.mjs";

const base = process.argv[2];
assert(base.startsWith("https://"), "an https:// base URL");
const w = new Wallet(base);
const waitMs = Number(process.env.HUB_WAIT_MS || 30000);

const user = await w.register("tls");
const login = await w.call("POST", "/api/auth/login", { body: { email: user.email, password: "Str0ng!Passw0rd" } });
assert(login.status === 200 && login.json.accessToken, `login over TLS: ${login.status} ${login.text}`);
assert(login.headers.get("strict-transport-security"), "HSTS on answers over TLS");
console.log("ok - register and login over HTTPS");
const token = login.json.accessToken;
const account = await w.defaultAccount({ ...user, token });

const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${base}/hubs/wallet`, {
        accessTokenFactory: () => token,
        transport: signalR.HttpTransportType.WebSockets,
    })
    .configureLogging(signalR.LogLevel.None)
    .build();
const received = [];
let wake = () => {};
connection.on("BalanceUpdated", (data) => {
    received.push(data);
    wake();
});
await connection.start();
assert(connection.state === signalR.HubConnectionState.Connected, "hub connected over wss");
console.log("ok - SignalR connected over WSS");

const deposit = await w.call("POST", `/api/accounts/${account.id}/deposit`, {
    token, body: { amount: "12.34" }, headers: { "idempotency-key": `tls-${Date.now()}` } });
assert(deposit.status === 200, `deposit over TLS: ${deposit.status} ${deposit.text}`);
console.log("ok - deposit over HTTPS");

await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no BalanceUpdated within ${waitMs} ms`)), waitMs);
    wake = () => {
        if (received.length >= 1) {
            clearTimeout(timer);
            resolve();
        }
    };
    wake();
});
const update = received[0];
assert(update.accountId === account.id, `the update names the account: ${JSON.stringify(update)}`);
assert(Number(update.newBalance) === 12.34, `new balance 12.34: ${JSON.stringify(update)}`);
console.log("ok - BalanceUpdated pushed over WSS");
await connection.stop();
