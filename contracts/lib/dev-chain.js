// What the tests that reach a dev chain through Ethereum tooling share (contracts/test,
// run by scripts/evm-test.sh; client/cli/dashboard/test, run by scripts/dashboard-e2e.sh):
// their environment, the dev chain's keys and units, a task spec from `din`, and
// `din task status`. No ethers here: each package brings its own.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

// A variable the starting script sets.
function env(name, script) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run ${script})`);
  return value;
}

// The well-known Ethereum dev keys the dev chain endows (alith, baltathar).
const ALITH = "0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133";
const BALTATHAR = "0x8075991ce870b93a8870eca0c0f91913d12f47948ca0fd25b49c6fa7cdbeee8b";
const NATIVE = 10n ** 12n; // 1 DIN in native units
const WEI_PER_NATIVE = 10n ** 6n; // pallet-revive's NativeToEthRatio
const DIN_WEI = NATIVE * WEI_PER_NATIVE; // 1 DIN in wei

// The compiled contract `name` (contracts/build, by `node compile.js`).
const artifact = (name) => require(path.join(__dirname, "..", "build", `${name}.json`));

// A median-scored one-round task's spec, prepared off chain by the owner's client as an
// organizer prepares a crowdfund's (`extra`: more `din task create` arguments).
function taskSpec({ din, ws, work }, reward, extra = []) {
  const out = execFileSync(din, [
    "task", "create", "--spec-only", "--json", "--url", ws, "--suri", "//Alice",
    "--owner-dir", path.join(work, "owner"), "--store-dir", path.join(work, "store"),
    "--scoring", "median", "--reward", String(reward), "--rounds", "1", "--test-samples", "16",
    ...extra,
  ]);
  return JSON.parse(out).spec;
}

// `din task status --json`, once finalized state has the task (it trails eth-rpc's best
// block by a few blocks).
async function finalizedTaskStatus({ din, ws }, task) {
  for (let attempt = 0; ; attempt++) {
    try {
      return JSON.parse(
        execFileSync(din, ["task", "status", "--json", "--url", ws, "--task", String(task)], { stdio: "pipe" }),
      );
    } catch (e) {
      if (attempt >= 30 || !/does not exist/.test(String(e.stderr))) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

module.exports = { env, ALITH, BALTATHAR, NATIVE, WEI_PER_NATIVE, DIN_WEI, artifact, taskSpec, finalizedTaskStatus };
