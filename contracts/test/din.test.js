// DIN through standard Ethereum tooling: ethers against eth-rpc in front of a dev node.
// Started by scripts/evm-test.sh, which provides:
//   DIN_ETH_RPC  eth-rpc's HTTP URL        DIN_URL   the node's ws URL
//   DIN_BIN      the `din` client          DIN_WORK  a scratch directory
// The Substrate side is checked with `din task status`, i.e. through the node's own RPC.
const { test, before } = require("node:test");
const assert = require("node:assert/strict");
const { ethers } = require("ethers");
const dev = require("../lib/dev-chain.js");
const { ALITH, BALTATHAR, NATIVE, DIN_WEI, artifact } = dev;

const env = (name) => dev.env(name, "scripts/evm-test.sh");
const RPC = env("DIN_ETH_RPC");
const chain = { ws: env("DIN_URL"), din: env("DIN_BIN"), work: env("DIN_WORK") };

const CHAIN_ID = 420420420n;
const DIN_ADDRESS = "0x000000000000000000000000000000000d100000";
// Covers a task's storage deposit (1 DIN + 1 mDIN per spec byte + 0.1 DIN per round in
// din-runtime), which the launcher of a crowdfunded task sends with `launch`.
const DEPOSIT = 5n * DIN_WEI;
// The dev chain's test stablecoin (asset 1, dUSD, 6 decimals) as an ERC-20: the
// pallet-assets precompile's address for asset 1 (docs/assets.md).
const DUSD = "0x0000000100000000000000000000000001200000";
const DUSD_UNIT = 10n ** 6n;

const provider = new ethers.JsonRpcProvider(RPC, undefined, { pollingInterval: 500 });
const alith = new ethers.Wallet(ALITH, provider);
const baltathar = new ethers.Wallet(BALTATHAR, provider);
const din = (signer) => new ethers.Contract(DIN_ADDRESS, artifact("IDin").abi, signer);
const idin = new ethers.Interface(artifact("IDin").abi);

async function deploy(name, signer, ...args) {
  const { abi, bytecode } = artifact(name);
  const contract = await new ethers.ContractFactory(abi, bytecode, signer).deploy(...args);
  await contract.waitForDeployment();
  return contract;
}

async function mined(txPromise) {
  const receipt = await (await txPromise).wait();
  assert.equal(receipt.status, 1, "the transaction succeeded");
  return receipt;
}

const taskSpec = (reward, extra) => dev.taskSpec(chain, reward, extra);
const finalizedTaskStatus = (task) => dev.finalizedTaskStatus(chain, task);

// The AccountId32 behind an SS58 address, as hex.
function accountOf(ss58) {
  const raw = ethers.toBeHex(ethers.decodeBase58(ss58), 35); // prefix(1) ‖ id(32) ‖ checksum(2)
  return "0x" + raw.slice(4, 68);
}

before(async () => {
  // eth-rpc answers as soon as it is up; the first block may still be on its way.
  for (let i = 0; i < 60 && (await provider.getBlockNumber()) < 1; i++) await new Promise((r) => setTimeout(r, 1000));
});

test("eth_chainId, balances and nonces of the dev accounts", async () => {
  const network = await provider.getNetwork();
  assert.equal(network.chainId, CHAIN_ID);
  assert.ok((await provider.getBalance(alith.address)) > 1000n * DIN_WEI, "alith is endowed");
  assert.equal(typeof (await provider.getTransactionCount(baltathar.address)), "number");
});

test("an OpenZeppelin ERC-20 deploys and transfers", async () => {
  const supply = 1_000_000n * 10n ** 18n;
  const token = await deploy("DinToken", alith, supply);
  assert.equal(await token.totalSupply(), supply);
  const receipt = await mined(token.transfer(baltathar.address, 1234n));
  const transfer = receipt.logs.map((l) => token.interface.parseLog(l)).find((e) => e?.name === "Transfer");
  assert.equal(transfer.args.to, baltathar.address);
  assert.equal(transfer.args.value, 1234n);
  assert.equal(await token.balanceOf(baltathar.address), 1234n);
  assert.equal(await token.balanceOf(alith.address), supply - 1234n);
  const nonce = await provider.getTransactionCount(alith.address);
  await mined(token.transfer(baltathar.address, 1n));
  assert.equal(await provider.getTransactionCount(alith.address), nonce + 1);
});

test("an account bonds through the precompile, as itself", async () => {
  const receipt = await mined(din(baltathar).bond(0, 2n * NATIVE));
  const bonded = receipt.logs.filter((l) => l.address.toLowerCase() === DIN_ADDRESS).map((l) => idin.parseLog(l));
  assert.equal(bonded[0].name, "Bonded");
  assert.equal(bonded[0].args.who, baltathar.address);
  const bond = await din(baltathar).bondOf(baltathar.address, 0);
  assert.equal(bond.active, 2n * NATIVE);
  assert.equal(bond.locked, 0n);
});

test("a contract crowdfunds a task and creates it through the precompile", async () => {
  const reward = 100n;
  const spec = taskSpec(reward);
  // The pool in wei plus a margin for the contract account's existential deposit.
  const goal = (reward + 1n) * DIN_WEI;
  const crowdfund = await deploy("TaskCrowdfund", alith, spec, goal, ethers.ZeroAddress);
  const address = await crowdfund.getAddress();

  await mined(crowdfund.connect(alith).contribute({ value: 60n * DIN_WEI }));
  await assert.rejects(crowdfund.launch.staticCall(), (e) => e.revert?.name === "GoalNotReached");
  await mined(crowdfund.connect(baltathar).contribute({ value: 41n * DIN_WEI }));
  assert.equal(await crowdfund.raised(), goal);

  const expected = await din(alith).nextTaskId();
  // The task's storage deposit comes with the launch, apart from the contributions.
  const receipt = await mined(crowdfund.launch({ value: DEPOSIT }));
  const launched = receipt.logs.map((l) => crowdfund.interface.parseLog(l)).find((e) => e?.name === "Launched");
  assert.equal(launched.args.task, expected);
  const created = receipt.logs
    .filter((l) => l.address.toLowerCase() === DIN_ADDRESS)
    .map((l) => idin.parseLog(l))
    .find((e) => e.name === "TaskCreated");
  assert.equal(created.args.task, expected);
  assert.equal(created.args.owner, address, "the contract owns the task");
  assert.equal(created.args.reward, reward * NATIVE);

  // The precompile's view and the Substrate side agree.
  const info = await din(alith).taskInfo(expected);
  assert.equal(info.exists, true);
  assert.equal(info.owner, address);
  assert.equal(info.phase, 0n); // Registration
  const progress = await crowdfund.progress();
  assert.equal(progress.remaining, reward * NATIVE);
  const status = await finalizedTaskStatus(expected);
  assert.equal(status.phase, "Registration");
  assert.equal(BigInt(status.remaining), reward * NATIVE);
  // pallet-revive's account of a contract: its address padded with 0xEE.
  assert.equal(accountOf(status.owner), address.toLowerCase() + "ee".repeat(12));

  await assert.rejects(crowdfund.launch.staticCall(), (e) => e.revert?.name === "AlreadyLaunched");
});

test("a crowdfunded task that never starts is cancelled and every contributor is refunded", async () => {
  const reward = 100n;
  const goal = (reward + 1n) * DIN_WEI;
  const crowdfund = await deploy("TaskCrowdfund", alith, taskSpec(reward), goal, ethers.ZeroAddress);
  const address = await crowdfund.getAddress();
  await mined(crowdfund.connect(alith).contribute({ value: 60n * DIN_WEI }));
  await mined(crowdfund.connect(baltathar).contribute({ value: 41n * DIN_WEI }));
  await mined(crowdfund.launch({ value: DEPOSIT }));
  const task = await crowdfund.task();
  const held = await provider.getBalance(address);
  await assert.rejects(crowdfund.connect(baltathar).withdraw.staticCall(), (e) => e.revert?.name === "AlreadyLaunched");
  await assert.rejects(crowdfund.connect(baltathar).cancel.staticCall(), (e) => e.revert?.name === "NotOrganizer");

  const receipt = await mined(crowdfund.connect(alith).cancel());
  const cancelled = receipt.logs
    .filter((l) => l.address.toLowerCase() === DIN_ADDRESS)
    .map((l) => idin.parseLog(l))
    .find((e) => e.name === "TaskCancelled");
  assert.equal(cancelled.args.task, task);
  assert.equal(cancelled.args.owner, address);
  assert.equal(cancelled.args.refund, reward * NATIVE);
  assert.equal((await din(alith).taskInfo(task)).phase, 9n); // Cancelled
  assert.equal(await provider.getBalance(address), held + reward * DIN_WEI, "the pool is back");

  const before = await provider.getBalance(baltathar.address);
  const withdrawal = await mined(crowdfund.connect(baltathar).withdraw());
  const withdrawn = withdrawal.logs.map((l) => crowdfund.interface.parseLog(l)).find((e) => e?.name === "Withdrawn");
  assert.equal(withdrawn.args.amount, 41n * DIN_WEI);
  assert.ok(await provider.getBalance(baltathar.address) > before + 40n * DIN_WEI, "41 DIN back, less a fee");
  await mined(crowdfund.connect(alith).withdraw());
  assert.equal(await crowdfund.raised(), 0n, "every contributor got all of theirs back");
  // What the launcher sent beyond the deposit the chain holds is the organizer's; the
  // deposit itself comes back when the task's records are pruned, a week later.
  await assert.rejects(crowdfund.connect(baltathar).reclaim.staticCall(), (e) => e.revert?.name === "NotOrganizer");
  await mined(crowdfund.connect(alith).reclaim());
});

test("a contract crowdfunds stablecoin through its ERC-20 interface and launches a task paid in it", async () => {
  const dusd = (signer) => new ethers.Contract(DUSD, artifact("DinToken").abi, signer);
  assert.equal(await dusd(alith).symbol(), "dUSD");
  assert.equal(await dusd(alith).decimals(), 6n);
  const reward = 100n; // dUSD
  // The pool plus dUSD's minimum balance, which a hold leaves free on the contract's account.
  const minimum = DUSD_UNIT / 100n;
  const goal = reward * DUSD_UNIT + minimum;
  const spec = taskSpec(reward, ["--reward-asset", "1"]);
  const crowdfund = await deploy("TaskCrowdfund", alith, spec, goal, DUSD);
  const address = await crowdfund.getAddress();
  await assert.rejects(crowdfund.contribute.staticCall({ value: DIN_WEI }), (e) => e.revert?.name === "WrongCurrency");

  for (const [who, amount] of [[alith, 60n * DUSD_UNIT], [baltathar, 40n * DUSD_UNIT + minimum]]) {
    const before = await dusd(who).balanceOf(who.address);
    await mined(dusd(who).approve(address, amount));
    await mined(crowdfund.connect(who).contributeToken(amount));
    assert.equal(await dusd(who).balanceOf(who.address), before - amount);
  }
  assert.equal(await dusd(alith).balanceOf(address), goal, "the contract holds what was raised");

  const receipt = await mined(crowdfund.launch({ value: DEPOSIT }));
  const created = receipt.logs
    .filter((l) => l.address.toLowerCase() === DIN_ADDRESS)
    .map((l) => idin.parseLog(l))
    .find((e) => e.name === "TaskCreated");
  assert.equal(created.args.owner, address);
  assert.equal(created.args.reward, reward * DUSD_UNIT);
  const task = created.args.task;
  assert.equal(await dusd(alith).balanceOf(address), minimum, "the pool is held by the task, not spendable");
  const status = await finalizedTaskStatus(task);
  assert.deepEqual(status.reward_asset, { id: 1, symbol: "dUSD", decimals: 6 });
  assert.equal(BigInt(status.remaining), reward * DUSD_UNIT);
  assert.equal(status.remaining_formatted, "100 dUSD");

  await mined(crowdfund.connect(alith).cancel());
  assert.equal(await dusd(alith).balanceOf(address), goal, "the cancelled pool is back, in dUSD");
  const before = await dusd(baltathar).balanceOf(baltathar.address);
  await mined(crowdfund.connect(baltathar).withdraw());
  assert.equal(await dusd(baltathar).balanceOf(baltathar.address), before + 40n * DUSD_UNIT + minimum);
});

test("the precompile refuses a state change in a static call", async () => {
  const crowdfund = await deploy("TaskCrowdfund", alith, taskSpec(100n), 0n, ethers.ZeroAddress);
  await mined(crowdfund.contribute({ value: 200n * DIN_WEI }));
  assert.equal(await crowdfund.createInStaticCall(), false);
  const before = await din(alith).nextTaskId();
  await mined(crowdfund.launch({ value: DEPOSIT })); // the same call outside a static context works
  assert.equal(await din(alith).nextTaskId(), before + 1n);
});

test("refused calls revert with the rule they break", async () => {
  await assert.rejects(din(alith).joinTask.staticCall(4_000_000), /UnknownTask/);
  await assert.rejects(din(alith).createTask.staticCall("0x010203"), /MalformedTaskSpec/);
  await assert.rejects(din(alith).bond.staticCall(9, NATIVE), /UnknownRole/);
});
