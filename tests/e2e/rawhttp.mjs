// rawhttp.mjs - raw HTTP/1.1 over a TCP socket for the hostile-input tests:
// malformed framing that fetch and curl refuse to send (Node's net module).

import net from "node:net";

// Parses as many complete responses as buf holds; returns them and the rest.
function parseResponses(buf) {
    const out = [];
    for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) break;
        const head = buf.subarray(0, end).toString("latin1").split("\r\n");
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] || "");
        if (!m) break;
        const headers = {};
        for (const line of head.slice(1)) {
            const i = line.indexOf(":");
            if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const length = Number(headers["content-length"] || 0);
        if (buf.length < end + 4 + length) break;
        const body = buf.subarray(end + 4, end + 4 + length).toString("utf8");
        out.push({ status: Number(m[1]), headers, body });
        buf = buf.subarray(end + 4 + length);
    }
    return { responses: out, rest: buf };
}

// Sends parts (Buffers or strings; {delayMs} entries pause, {end:true}
// half-closes) and collects responses until `want` arrived, the server
// closed, or timeoutMs passed. Returns {responses, closed, elapsedMs, extra}.
export function raw(port, parts, { want = 1, timeoutMs = 5000 } = {}) {
    return new Promise((resolve) => {
        const start = Date.now();
        const sock = net.connect(port, "127.0.0.1");
        let buf = Buffer.alloc(0);
        let parsed = [];
        let closed = false;
        let done = false;
        const finish = () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            sock.destroy();
            resolve({ responses: parsed, closed, elapsedMs: Date.now() - start, extra: buf.length });
        };
        const timer = setTimeout(finish, timeoutMs);
        sock.on("data", (d) => {
            buf = Buffer.concat([buf, d]);
            const r = parseResponses(buf);
            parsed = parsed.concat(r.responses);
            buf = r.rest;
            if (parsed.length >= want) setTimeout(finish, 150); // see whether more follows
        });
        sock.on("close", () => {
            closed = true;
            finish();
        });
        sock.on("error", () => {});
        sock.on("connect", async () => {
            for (const p of parts) {
                if (done || sock.destroyed) return;
                if (p && p.delayMs) await new Promise((r) => setTimeout(r, p.delayMs));
                else if (p && p.end) sock.end();
                else sock.write(p);
            }
        });
    });
}
