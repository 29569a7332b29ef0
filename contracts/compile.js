// Compiles contracts/src/*.sol with the pinned solc (npm `solc`) into build/<Name>.json
// (abi + EVM bytecode; IDin.json holds the precompile's ABI). `IDin.sol` is the precompile's interface, as committed next to the
// precompile (pallets/precompile/IDin.sol); `@openzeppelin/…` imports resolve to the
// pinned npm package.
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = __dirname;
const sources = {};
for (const file of fs.readdirSync(path.join(root, "src")).filter((f) => f.endsWith(".sol"))) {
  sources[file] = { content: fs.readFileSync(path.join(root, "src", file), "utf8") };
}

function findImports(name) {
  const candidates = [
    name === "IDin.sol" && path.join(root, "..", "pallets", "precompile", "IDin.sol"),
    path.join(root, "node_modules", name),
  ].filter(Boolean);
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `import not found: ${name}` };
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    // pallet-revive's EVM interpreter; Paris keeps to opcodes every EVM chain has.
    evmVersion: "paris",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

const out = path.join(root, "build");
fs.mkdirSync(out, { recursive: true });
for (const [file, contracts] of Object.entries(output.contracts)) {
  // Our contracts and the precompile's interface, not OpenZeppelin's.
  if (!sources[file] && file !== "IDin.sol") continue;
  for (const [name, c] of Object.entries(contracts)) {
    const artifact = { contractName: name, abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
    fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify(artifact, null, 2));
    console.log(`compiled ${name} (${c.evm.bytecode.object.length / 2} bytes)`);
  }
}
