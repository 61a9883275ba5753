// wallet.mjs - a small WalletFlow HTTP client for the end-to-end tests
// (Node 20's fetch, no dependencies).

export class Wallet {
    constructor(base) {
        this.base = base;
    }

    async call(method, path, { token, body, headers = {}, raw } = {}) {
        const init = { method, headers: { ...headers } };
        if (token) init.headers.authorization = `Bearer ${token}`;
        if (raw !== undefined) {
            init.headers["content-type"] = "application/json";
            init.body = raw;
        } else if (body !== undefined) {
            init.headers["content-type"] = "application/json";
            init.body = JSON.stringify(body);
        }
        const res = await fetch(this.base + path, init);
        const text = await res.text();
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = null; }
        return { status: res.status, headers: res.headers, text, json };
    }

    // Registers a fresh user; returns { token, userId, email }.
    async register(tag) {
        const email = `${tag}.${Date.now()}.${Math.floor(Math.random() * 1e9)}@example.com`;
        const res = await this.call("POST", "/api/auth/register", {
            body: { email, firstName: "Test", lastName: tag, password: "Str0ng!Passw0rd" },
        });
        if (res.status !== 201) throw new Error(`register ${tag}: ${res.status} ${res.text}`);
        return { token: res.json.accessToken, userId: res.json.user.id, email };
    }

    // Waits until the user's default wallet exists; returns it.
    async defaultAccount(user, timeoutMs = 5000) {
        const end = Date.now() + timeoutMs;
        while (Date.now() < end) {
            const res = await this.call("GET", "/api/accounts", { token: user.token });
            if (res.status === 200 && res.json.length > 0) return res.json[0];
            await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`no default account for ${user.email} within ${timeoutMs} ms`);
    }
}

export function assert(condition, message) {
    if (!condition) throw new Error(`assertion failed: ${message}`);
}

// Minor units of a JSON money value that keeps its scale (2 digits here).
export function minor(value) {
    return Math.round(Number(value) * 100);
}
