// zombienet `js-script` step of 0003-validators.zndsl: runs validators.sh with its step
// and the ws URLs of alice (reads) and eve (her operator's node). A non-zero exit rejects,
// which fails the step.
const { spawn } = require("child_process");
const path = require("path");

async function run(_nodeName, networkInfo, args) {
  const nodes = networkInfo.nodesByName;
  const script = path.join(process.env.DIN_ROOT, "zombienet", "validators.sh");
  return new Promise((resolve, reject) => {
    const child = spawn(script, [args[0], nodes.alice.wsUri, nodes.eve.wsUri], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve(0);
      else reject(new Error(`validators.sh ${args[0]} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

module.exports = { run };
