// zombienet `js-script` step: runs the shell script named by its argument (in this
// directory) with the ws URL of every node of the network, comma-separated (zombienet
// picks the ports, so only a script sees them):
//   alice: js-script ./script.js with "fl-round.sh" within 900 seconds
// Its output goes straight to the test's output; a non-zero exit rejects, which fails the
// step (a `return is 0` comparison would not: zombienet skips comparisons with a falsy
// target).
const { spawn } = require("child_process");
const path = require("path");

async function run(_nodeName, networkInfo, args) {
  const urls = Object.values(networkInfo.nodesByName).map((node) => node.wsUri);
  const script = path.join(process.env.DIN_ROOT, "zombienet", args[0]);
  return new Promise((resolve, reject) => {
    const child = spawn(script, [urls.join(",")], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve(0);
      else reject(new Error(`${args[0]} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

module.exports = { run };
