// `din dashboard` in a real browser: headless Chromium (the system's, driven by
// playwright-core) against a dev chain on which scripts/fl-run.sh runs a real task.
// Run by scripts/dashboard-e2e.sh, which starts everything and sets:
//   DIN_DASHBOARD  the dashboard's URL      DIN_URL      the node's WebSocket
//   DIN_ETH_RPC    eth-rpc's URL            DIN_BIN      the `din` client
//   DIN_WORK       a scratch directory      DIN_TASK     the task fl-run.sh runs
//   DIN_SUMMARY    where fl-run.sh writes `din task watch --json`'s summary at the end
//   DIN_ARTIFACTS  where a failing test leaves its screenshot and the page's errors
//   DIN_CHROMIUM   the browser (default /usr/bin/chromium)
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { execFileSync } = require("node:child_process");
const path = require("node:path");
const { chromium } = require("playwright-core");
const { ethers } = require("ethers");
const dev = require("../../../../contracts/lib/dev-chain.js");
const { ALITH, NATIVE, DIN_WEI, artifact } = dev;

const env = (name) => dev.env(name, "scripts/dashboard-e2e.sh");
const DASHBOARD = env("DIN_DASHBOARD");
const ARTIFACTS = env("DIN_ARTIFACTS");
const TASK = Number(env("DIN_TASK"));
const SUMMARY = env("DIN_SUMMARY");
// The crowdfund's organizer prepares its spec in a directory of its own.
const chain = { ws: env("DIN_URL"), din: env("DIN_BIN"), work: path.join(env("DIN_WORK"), "crowdfund") };

// alith, the well-known dev key, is the injected wallet's account.
const provider = new ethers.JsonRpcProvider(env("DIN_ETH_RPC"), undefined, { pollingInterval: 500 });
const alith = new ethers.Wallet(ALITH, provider);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let browser;
let context;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.DIN_CHROMIUM || "/usr/bin/chromium",
    // Root in a container has no user namespace for Chromium's sandbox.
    args: ["--no-sandbox", "--disable-gpu"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // An EIP-1193 wallet injected as an extension would inject it: `window.ethereum`, whose
  // requests the test answers with a dev key (signing here, as a wallet signs outside the
  // page) and eth-rpc.
  await context.exposeBinding("dinWallet", async (_source, method, params) => {
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [alith.address];
      case "eth_sendTransaction": {
        const [tx] = params;
        assert.equal(ethers.getAddress(tx.from), alith.address, "the page sends from the connected account");
        const sent = await alith.sendTransaction({ to: tx.to, data: tx.data, value: BigInt(tx.value ?? 0) });
        return sent.hash;
      }
      default:
        return provider.send(method, params);
    }
  });
  await context.addInitScript(() => {
    window.ethereum = {
      request: ({ method, params }) => window.dinWallet(method, params ?? []),
      on() {},
      removeListener() {},
    };
  });
});

after(async () => {
  await browser?.close();
});

// Opens a page, and on failure leaves its screenshot and what it logged in DIN_ARTIFACTS.
async function withPage(name, body) {
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.message}`));
  // The page's own files must all load; an API error is the page's to show (the markup
  // test asks for one), so the browser's console line about it is no failure.
  page.on("response", (response) => {
    if (!response.ok() && !new URL(response.url()).pathname.startsWith("/api/")) {
      pageErrors.push(`${name}: ${response.status()} for ${response.url()}`);
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      pageErrors.push(`${name}: console: ${message.text()}`);
    }
  });
  try {
    await body(page);
    assert.deepEqual(pageErrors, [], "the page threw no error");
  } catch (error) {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true }).catch(() => {});
    fs.writeFileSync(path.join(ARTIFACTS, `${name}.errors.txt`), pageErrors.join("\n"));
    throw error;
  } finally {
    await page.close();
  }
}

test("a browser wallet funds a crowdfunded task and launches it through the precompile", async () => {
  const reward = 100n;
  const spec = dev.taskSpec(chain, reward);
  // The pool in wei plus a margin for the contract account's existential deposit.
  const goal = (reward + 1n) * DIN_WEI;
  const { abi, bytecode } = artifact("TaskCrowdfund");
  const crowdfund = await new ethers.ContractFactory(abi, bytecode, alith).deploy(spec, goal, ethers.ZeroAddress);
  await crowdfund.waitForDeployment();
  const address = await crowdfund.getAddress();

  await withPage("fund", async (page) => {
    await page.goto(`${DASHBOARD}/#/fund`);
    await page.click("#connect");
    await page.waitForSelector(`[data-testid=wallet-account]:has-text("${alith.address.slice(2, 10)}")`);
    await page.fill("#crowdfund-address", address);
    await page.click("#load-crowdfund");
    const described = page.locator("[data-testid=crowdfund-task]");
    await described.waitFor();
    assert.match(await described.textContent(), /100 DIN/, "the page shows the pool the spec escrows");

    await page.fill("#contribute-amount", "101");
    await page.click("#contribute");
    await page.waitForSelector("[data-testid=fund-status][data-state=ok]", { timeout: 120_000 });
    assert.equal(await crowdfund.raised(), goal, "the contribution reached the contract");

    await page.click("#launch");
    const launched = page.locator("[data-testid=launched-task]");
    await launched.waitFor({ timeout: 120_000 });
    const task = Number(await launched.getAttribute("data-task"));
    assert.equal(BigInt(task), await crowdfund.task(), "the page names the task the contract launched");

    const status = await dev.finalizedTaskStatus(chain, task);
    assert.equal(status.phase, "Registration");
    assert.equal(status.remaining, String(reward * NATIVE), "the pool is held for the task");

    // The new task is on the dashboard's list once finalized.
    await page.goto(`${DASHBOARD}/#/`);
    await page.waitForSelector(`tr[data-task="${task}"] td[data-field=phase]:has-text("Registration")`, {
      timeout: 60_000,
    });
  });
});

test("the dashboard follows a running task's phases to the payouts din task watch reports", async () => {
  await withPage("task", async (page) => {
    await page.goto(`${DASHBOARD}/#/task/${TASK}`);
    const phase = page.locator("[data-testid=task-phase]");
    const seen = [];
    const deadline = Date.now() + 20 * 60_000;
    for (;;) {
      const now = (await phase.textContent({ timeout: 30_000 })).trim();
      if (seen.at(-1) !== now) seen.push(now);
      if (now === "Finished") break;
      assert.ok(Date.now() < deadline, `the task finished in time (phases seen: ${seen.join(", ")})`);
      await sleep(300);
    }
    for (const expected of ["Training", "Scoring", "Finished"]) {
      assert.ok(seen.includes(expected), `the page showed ${expected} on the way (it showed ${seen.join(", ")})`);
    }

    // fl-run.sh writes the watcher's summary once `din task watch` saw the task finish.
    for (let i = 0; i < 120 && !fs.existsSync(SUMMARY); i++) await sleep(1000);
    const summary = JSON.parse(fs.readFileSync(SUMMARY, "utf8"));
    const expected = Object.entries(summary.payouts);
    assert.ok(expected.length > 0, "the watcher saw payouts");
    const rows = page.locator("[data-testid=payouts] tr[data-payout]");
    for (let i = 0; i < 60 && (await rows.count()) !== expected.length; i++) await sleep(500);
    const shown = Object.fromEntries(
      await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.payout, tr.dataset.amount])),
    );
    assert.deepEqual(shown, summary.payouts, "the page's payouts are the watcher's, to the unit");

    const settlement = page.locator("[data-testid=settlement]");
    assert.equal(summary.accounting_holds, true);
    assert.equal(await settlement.getAttribute("data-accounting"), "holds");
    // Every round the watcher saw start is a row of the rounds table.
    const rounds = new Set(summary.round_starts.map(([round]) => round + 1));
    for (const round of rounds) {
      await page.locator(`[data-testid=rounds] tr[data-round="${round}"]`).waitFor();
    }
    assert.ok((await page.locator("[data-testid=timeline] rect[data-phase]").count()) >= 5, "the timeline drew the phases");
  });
});

test("markup in what the page shows stays text", async () => {
  await withPage("markup", async (page) => {
    // The API echoes a malformed address in its error, which the page shows: as an
    // attacker's string in chain data would be, it must not become an element.
    const markup = '<img src=x onerror="window.injected = 1">';
    await page.goto(`${DASHBOARD}/#/account/${encodeURIComponent(markup)}`);
    const error = page.locator("[data-testid=error]");
    await error.waitFor({ state: "visible", timeout: 30_000 });
    assert.match(await error.textContent(), /<img src=x/, "the markup is shown as text");
    assert.equal(await page.locator("[data-testid=error] img").count(), 0, "no element was made of it");
    assert.equal(await page.evaluate(() => window.injected), undefined, "no script of it ran");
  });
});

test("the validators page shows who authors: the dev chain's genesis validator, invulnerable", async () => {
  const alice = execFileSync(chain.din, ["key", "inspect", "--suri", "//Alice"]).toString().trim();
  const status = JSON.parse(execFileSync(chain.din, ["validator", "status", "--json", "--url", chain.ws]).toString());
  assert.deepEqual(status.active, [alice], "din validator status: Alice validates alone");
  await withPage("validators", async (page) => {
    await page.goto(`${DASHBOARD}/#/validators`);
    const row = page.locator(`[data-testid=active] tr[data-account="${alice}"]`);
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.textContent(), /invulnerable/);
    assert.match(await row.textContent(), /authoring/);
    assert.equal(await page.locator("[data-testid=active] tbody tr").count(), status.active.length, "the page lists the set din validator status reports");
    assert.match(await page.locator("[data-testid=candidates]").textContent(), /no candidates/);
  });
});
