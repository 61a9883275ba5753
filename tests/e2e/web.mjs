// web.mjs - the web page at / in headless Chromium (Debian's, driven by playwright-core):
// two browser contexts register through the page, one deposits and transfers to the
// other, and the other's balance changes live (the SignalR hub, no reload, no polling).
// Screenshots of both pages go to OUT_DIR.
//
//   node web.mjs BASE_URL OUT_DIR        (CHROMIUM: the browser, default /usr/bin/chromium)
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.argv[2];
const out = process.argv[3];
const WAIT_MS = 15000;
const ok = (m) => console.log(`ok - ${m}`);

function assert(condition, message) {
    if (!condition) throw new Error(`assertion failed: ${message}`);
}

mkdirSync(out, { recursive: true });
// As root and without a display: no sandbox, no GPU, and nothing that reaches out to
// Google's services (this machine's network is closed; see the machine notes).
const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
});

// Opens the page in a fresh context and registers a user through its form.
async function openAs(tag) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const problems = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.goto(`${base}/`);
    const form = page.locator("#register-form");
    const email = `${tag}.${Date.now()}.${Math.floor(Math.random() * 1e9)}@example.com`;
    await form.locator("input[name=email]").fill(email);
    await form.locator("input[name=firstName]").fill(tag);
    await form.locator("input[name=lastName]").fill("Browser");
    await form.locator("input[name=password]").fill("Str0ng!Passw0rd");
    await form.locator("button").click();
    await page.waitForSelector("#wallet:not([hidden])", { timeout: WAIT_MS });
    await page.waitForSelector("#balance[data-value='0']", { timeout: WAIT_MS });
    await page.waitForSelector("#live[data-state='live']", { timeout: WAIT_MS });
    return { context, page, problems, email };
}

async function submit(page, formId, fields) {
    const form = page.locator(`#${formId}`);
    for (const [name, value] of Object.entries(fields)) await form.locator(`input[name=${name}]`).fill(value);
    await form.locator("button").click();
}

const balanceOf = (page) => page.locator("#balance").getAttribute("data-value");

try {
    const alice = await openAs("Alice");
    const bob = await openAs("Bob");
    ok("two browser contexts registered through the page; both show 0 and a live hub connection");

    await submit(alice.page, "deposit-form", { amount: "100.50" });
    await alice.page.waitForSelector("#balance[data-value='100.5']", { timeout: WAIT_MS });
    const bobId = (await bob.page.locator("#account-id").textContent()).trim();
    assert(/^[0-9a-f-]{36}$/.test(bobId), `Bob's account id: ${bobId}`);

    // Bob's page does nothing from here on and never polls: only a BalanceUpdated from
    // the hub can change what it shows.
    await submit(alice.page, "transfer-form", { destinationAccountId: bobId, amount: "40.25", description: "lunch" });
    await bob.page.waitForSelector("#balance[data-value='40.25']", { timeout: WAIT_MS });
    await alice.page.waitForSelector("#balance[data-value='60.25']", { timeout: WAIT_MS });
    const event = await bob.page.locator("#events li").first().textContent();
    assert(/TransferReceived/.test(event), `Bob's live event: ${event}`);
    // The BalanceUpdated also refreshed Bob's history through the REST API.
    await bob.page.waitForSelector("#history tbody tr", { timeout: WAIT_MS });
    const history = await bob.page.locator("#history tbody tr").first().textContent();
    assert(/TransferReceived/.test(history) && /lunch/.test(history), `Bob's history: ${history}`);
    ok(`a transfer from Alice's page changes Bob's balance live (40.25), history follows`);

    await bob.page.screenshot({ path: `${out}/web-receiver.png`, fullPage: true });
    await alice.page.screenshot({ path: `${out}/web-sender.png`, fullPage: true });
    ok(`screenshots in ${out}`);

    await alice.page.locator("#logout").click();
    await alice.page.waitForSelector("#auth:not([hidden])", { timeout: WAIT_MS });
    await submit(alice.page, "login-form", { email: alice.email, password: "Str0ng!Passw0rd" });
    await alice.page.waitForSelector("#balance[data-value='60.25']", { timeout: WAIT_MS });
    await alice.page.waitForSelector("#live[data-state='live']", { timeout: WAIT_MS });
    for (const who of [alice, bob])
        assert(who.problems.length === 0, `console errors (CSP or script): ${who.problems.join(" | ")}`);
    ok("log out, log in again: the balance is there; no console errors (CSP, scripts)");
} finally {
    await browser.close();
}
