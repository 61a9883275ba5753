// bench/touch.mjs - the RSS step: one deposit into each account of a list, CONCURRENCY at a time,
// each with the owner's Bearer token and its own Idempotency-Key, so every account has been
// loaded into an account shard once. Prints one key=value line: touched, ok, statuses, seconds.
//
//   node bench/touch.mjs BASE_URL IDS_FILE TOKEN CONCURRENCY RUN_ID
//
// Not a measurement of speed (wrk and wf_loadgen do that): it only has to touch them all.
import { readFileSync } from "node:fs";

const [base, idsFile, token, concurrencyText, runId] = process.argv.slice(2);
if (!base || !idsFile || !token || !runId) {
    console.error("usage: node touch.mjs BASE_URL IDS_FILE TOKEN CONCURRENCY RUN_ID");
    process.exit(2);
}
const ids = readFileSync(idsFile, "utf8").split("\n").filter((l) => l.trim());
const concurrency = Math.max(1, Number(concurrencyText) || 64);
const statuses = {};
let next = 0;
let ok = 0;
const start = Date.now();

async function worker() {
    while (next < ids.length) {
        const i = next++;
        const res = await fetch(`${base}/api/accounts/${ids[i]}/deposit`, {
            method: "POST",
            headers: {
                authorization: `Bearer ${token}`,
                "content-type": "application/json",
                "idempotency-key": `${runId}-touch-${i}`,
            },
            body: JSON.stringify({ amount: "1.00" }),
        });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] || 0) + 1;
        if (res.status === 200) ok++;
    }
}

await Promise.all(Array.from({ length: concurrency }, worker));
const statusText = Object.entries(statuses).map(([s, n]) => `${s}:${n}`).join(",");
console.log(`touched=${ids.length} ok=${ok} statuses=${statusText} seconds=${((Date.now() - start) / 1000).toFixed(1)}`);
process.exit(ok === ids.length ? 0 : 1);
