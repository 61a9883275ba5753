// WalletFlow's page: the REST API for everything a user does, and the SignalR
// hub (/hubs/wallet, the official browser client loaded from /signalr.min.js)
// for BalanceUpdated pushed the moment money moves. Text from the server is
// only ever set as textContent, never parsed as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = { access: null, refresh: null, user: null, account: null, hub: null, leaving: false };
  const STORE = "walletflow.session";

  // The session survives a reload of this tab (sessionStorage), not the tab.
  function save() {
    sessionStorage.setItem(STORE, JSON.stringify({ access: state.access, refresh: state.refresh, user: state.user }));
  }

  function restore() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
      if (saved && saved.access && saved.refresh) Object.assign(state, saved);
    } catch {
      sessionStorage.removeItem(STORE);
    }
  }

  // The exp claim of an access token, in ms (0 when unreadable).
  function expiresAtMs(token) {
    try {
      const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(payload)).exp * 1000;
    } catch {
      return 0;
    }
  }

  // A problem+json answer as one sentence.
  function problemText(res) {
    const p = res.json || {};
    const fields = p.errors ? Object.values(p.errors).flat().join(" ") : "";
    return fields || p.detail || p.title || `HTTP ${res.status}`;
  }

  async function call(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (state.access) init.headers.authorization = `Bearer ${state.access}`;
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, json, headers: res.headers };
  }

  // Calls the API; an expired access token is refreshed once and the call
  // repeated (with the same Idempotency-Key, so money never moves twice).
  async function api(method, path, body, headers = {}) {
    let res = await call(method, path, body, headers);
    if (res.status === 401 && state.refresh && (await refreshTokens())) res = await call(method, path, body, headers);
    return res;
  }

  let refreshing = null;
  function refreshTokens() {
    refreshing ??= (async () => {
      const res = await call("POST", "/api/auth/refresh", { refreshToken: state.refresh, accessToken: state.access });
      if (res.status !== 200) {
        signedOut("Your session ended: please log in again.");
        return false;
      }
      signedIn(res.json);
      return true;
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  // What the hub's client calls before each (re)connect: a token that lives.
  async function hubToken() {
    if (state.access && expiresAtMs(state.access) - Date.now() < 30000 && state.refresh) await refreshTokens();
    return state.access;
  }

  function money(value, currency) {
    const n = Number(value);
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(n);
    } catch {
      return `${n} ${currency}`;
    }
  }

  function setMessage(text, error = false) {
    const p = $("wallet-message");
    p.textContent = text;
    p.className = error ? "error" : "";
  }

  function setLive(status) {
    const live = $("live");
    live.dataset.state = status;
    live.textContent = status;
  }

  function renderAccount() {
    const a = state.account;
    const balance = $("balance");
    balance.textContent = money(a.balance, a.currency);
    balance.dataset.value = String(a.balance);
    $("account-number").textContent = a.accountNumber;
    $("account-id").textContent = a.id;
  }

  function flash() {
    const balance = $("balance");
    balance.classList.add("flash");
    setTimeout(() => balance.classList.remove("flash"), 1200);
  }

  function renderHistory(items) {
    const body = $("history").querySelector("tbody");
    body.replaceChildren();
    for (const t of items) {
      const row = document.createElement("tr");
      const debit = t.type === "Withdrawal" || t.type === "Transfer";
      const cells = [
        new Date(t.createdAt).toLocaleString(),
        t.type,
        `${debit ? "-" : "+"}${money(t.amount, t.currency)}`,
        money(t.balanceAfter, t.currency),
        t.description || "",
      ];
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i === 2 || i === 3) td.className = "num";
        if (i === 2) td.classList.add(debit ? "debit" : "credit");
        row.append(td);
      });
      body.append(row);
    }
  }

  function addEvent(n) {
    const li = document.createElement("li");
    li.textContent = `${new Date(n.timestamp).toLocaleTimeString()} ${n.type} ${money(n.amount, n.currency)}` +
      ` (balance ${money(n.newBalance, n.currency)})`;
    $("events").prepend(li);
    while ($("events").children.length > 20) $("events").lastElementChild.remove();
  }

  // The user's default wallet; a new user's appears a moment after sign-up.
  async function loadAccount() {
    for (let attempt = 0; attempt < 50; attempt++) {
      const res = await api("GET", "/api/accounts");
      if (res.status === 200 && res.json.length > 0) {
        state.account = res.json.find((a) => a.isDefault) || res.json[0];
        renderAccount();
        return true;
      }
      if (res.status !== 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    setMessage("No wallet yet: try again in a moment.", true);
    return false;
  }

  // Balance and history from the REST API (also after any gap in live updates).
  async function resync() {
    if (!state.account) return;
    const [account, history] = await Promise.all([
      api("GET", `/api/accounts/${state.account.id}`),
      api("GET", `/api/accounts/${state.account.id}/transactions?limit=20`),
    ]);
    if (account.status === 200) {
      state.account = account.json;
      renderAccount();
    }
    if (history.status === 200) renderHistory(history.json);
  }

  async function connectHub() {
    if (!window.signalR) {
      setLive("unavailable");
      return;
    }
    const hub = new signalR.HubConnectionBuilder()
      .withUrl("/hubs/wallet", { accessTokenFactory: hubToken })
      .withAutomaticReconnect()
      .withStatefulReconnect()
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    state.hub = hub;
    hub.on("BalanceUpdated", (n) => {
      addEvent(n);
      if (state.account && n.accountId === state.account.id) {
        state.account.balance = n.newBalance;
        renderAccount();
        flash();
        resync();
      }
    });
    hub.onreconnecting(() => setLive("reconnecting"));
    // A new connection may have missed notifications: read the truth.
    hub.onreconnected(() => {
      setLive("live");
      resync();
    });
    hub.onclose((error) => {
      if (state.hub !== hub || state.leaving) return;
      setLive("offline");
      if (error && /revoked/.test(String(error))) {
        signedOut("You were logged out.");
        return;
      }
      resync();
      setTimeout(() => state.hub === hub && startHub(hub), 2000);
    });
    await startHub(hub);
  }

  async function startHub(hub) {
    try {
      await hub.start();
      setLive("live");
    } catch {
      setLive("offline");
      setTimeout(() => state.hub === hub && startHub(hub), 5000);
    }
  }

  function signedIn(auth) {
    state.access = auth.accessToken;
    state.refresh = auth.refreshToken;
    state.user = auth.user || state.user;
    save();
  }

  async function enter() {
    $("auth").hidden = true;
    $("wallet").hidden = false;
    $("session").hidden = false;
    $("who").textContent = state.user ? `${state.user.firstName} ${state.user.lastName}` : "";
    if (await loadAccount()) {
      await resync();
      await connectHub();
    }
  }

  function signedOut(message) {
    const hub = state.hub;
    Object.assign(state, { access: null, refresh: null, user: null, account: null, hub: null });
    sessionStorage.removeItem(STORE);
    if (hub) hub.stop();
    $("wallet").hidden = true;
    $("session").hidden = true;
    $("auth").hidden = false;
    $("events").replaceChildren();
    $("auth-error").textContent = message || "";
  }

  function form(id, handler) {
    const f = $(id);
    f.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = f.querySelector("button");
      button.disabled = true;
      try {
        await handler(Object.fromEntries(new FormData(f).entries()), f);
      } catch (error) {
        setMessage(String(error), true);
      } finally {
        button.disabled = false;
      }
    });
  }

  async function authenticate(path, body, okStatus, f) {
    $("auth-error").textContent = "";
    const res = await call("POST", path, body);
    if (res.status !== okStatus) {
      $("auth-error").textContent = problemText(res);
      return;
    }
    f.reset();
    signedIn(res.json);
    await enter();
  }

  // A money command; one Idempotency-Key per submission.
  async function move(kind, body, f) {
    const res = await api("POST", `/api/accounts/${state.account.id}/${kind}`, body, {
      "idempotency-key": crypto.randomUUID(),
    });
    if (res.status !== 200 && res.status !== 201) {
      setMessage(problemText(res), true);
      return;
    }
    setMessage(`${kind[0].toUpperCase()}${kind.slice(1)} done.`);
    f.reset();
    await resync();
  }

  form("login-form", (v, f) => authenticate("/api/auth/login", v, 200, f));
  form("register-form", (v, f) => authenticate("/api/auth/register", v, 201, f));
  form("deposit-form", (v, f) => move("deposit", { amount: v.amount }, f));
  form("withdraw-form", (v, f) => move("withdraw", { amount: v.amount }, f));
  form("transfer-form", (v, f) =>
    move("transfer", { destinationAccountId: v.destinationAccountId.trim(), amount: v.amount, description: v.description || undefined }, f),
  );
  $("copy-id").addEventListener("click", () => navigator.clipboard?.writeText(state.account?.id || ""));
  $("logout").addEventListener("click", async () => {
    state.leaving = true;
    const refresh = state.refresh;
    if (state.hub) await state.hub.stop();
    if (refresh) await call("POST", "/api/auth/logout", { refreshToken: refresh });
    state.leaving = false;
    signedOut("");
  });

  restore();
  if (state.access) enter();
})();
