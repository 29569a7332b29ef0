#!/usr/bin/env bash
# The README's test command: every test of the workspace, including the ones that start
# real `din-node`, `din` and `eth-rpc` processes on loopback. Ends with a table of the
# stages' wall times.
#
# The checks that gate everything else (format, build, layers, the no_std core, the
# contracts) run first, one after another. Then every test binary of the workspace, the
# fuzzing and each end-to-end stage is a job, and DIN_TEST_JOBS (default 5) of them run
# side by side, the longest first (scripts/lib/jobs.sh): the end-to-end stages and node
# tests mostly wait for blocks, so one at a time left the machine idle most of the run.
# Each job logs to its own file under $CARGO_TARGET_DIR/test-logs; a failed job's tail is
# printed, and the other jobs still run.
#
# On a machine without eth-rpc (a fresh one), its install starts in the background at the
# lowest CPU priority before the workspace build; the two stages that need it (the EVM
# and the dashboard) are queued last and wait for it (scripts/evm-test.sh and
# scripts/dashboard-e2e.sh install through the same cargo lock). The install takes the CPU
# the build and the jobs leave idle.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$DIN_ROOT/scripts/lib/jobs.sh"
"$DIN_ROOT/scripts/setup.sh" test
cd "$DIN_ROOT"

ETH_RPC_PID=""
ETH_RPC_LOG="$DIN_TOOLS/eth-rpc-install.log"
on_exit() {
	stop_jobs
	# The table also when a stage failed, so a failing run still says where time went.
	stage_times
	[ -z "$ETH_RPC_PID" ] || kill -TERM -- "-$ETH_RPC_PID" 2>/dev/null || true
}
trap on_exit EXIT
if [ ! -x "$ETH_RPC" ]; then
	mkdir -p "$(dirname "$ETH_RPC_LOG")"
	stage "eth-rpc is not installed: installing it in the background (log: $ETH_RPC_LOG); the EVM stage waits for it"
	# Its own process group, so that an early failure of this script stops the whole build.
	DIN_HEARTBEAT_S=600 setsid --wait nice -n 19 "$DIN_ROOT/scripts/setup.sh" eth-rpc >"$ETH_RPC_LOG" 2>&1 &
	ETH_RPC_PID=$!
fi

timed_stage "format (cargo fmt --check)" cargo fmt --all --check
timed_stage "build (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)" din_build
timed_stage "layers: no pallet or runtime crate depends on a client crate" "$DIN_ROOT/scripts/check-layers.sh"
timed_stage "no_std core builds for the runtime's target" \
	cargo build --locked -p din-fl -p din-secagg --no-default-features --target wasm32v1-none
timed_stage "contracts compile with the pinned solc (contracts/build)" \
	bash -c 'cd contracts && node compile.js'

# Every test binary `cargo test` would run, as the build above compiled them, run as cargo
# runs it: from its package's directory. Not through `cargo test`, which builds the
# runtime's build script, and so din-runtime, din-node and din-chain, a second time in its
# own profile (a minute warm, more cold), for the same code.
TEST_BINARIES="$(mktemp)"
cargo build "${DIN_TARGETS[@]}" --message-format=json >"$TEST_BINARIES"
# Test executables of earlier builds pile up in the shared target dir until the disk is
# full (37 GB of them by session 41): keep only what this build lists.
python3 "$DIN_ROOT/scripts/lib/prune-target.py" "$TEST_BINARIES" "$CARGO_TARGET_DIR/debug/deps"
while IFS=$'\t' read -r binary manifest source; do
	dir="$(dirname "$manifest")"
	# Node tests start several nodes each; two test threads per binary.
	job "cargo test ${source#"$DIN_ROOT"/}" env -C "$dir" CARGO_MANIFEST_DIR="$dir" "$binary" --test-threads 2
done < <(jq -r 'select(.reason == "compiler-artifact" and .executable != null and .profile.test)
	| [.executable, .manifest_path, .target.src_path] | @tsv' "$TEST_BINARIES")
rm -f "$TEST_BINARIES"
job "fuzzing: every decoder that reads a peer's or an artifact's bytes, 30 s each (cargo-fuzz)" \
	"$DIN_ROOT/scripts/fuzz.sh"
job "end-to-end federated training: node, store, owner, 4 participants, 3 evaluators" \
	"$DIN_ROOT/scripts/fl-e2e.sh"
job "asynchronous task: buffers of 7 of 8 participants, a straggler five times slower submits stale updates, is paid; 90% on the digits" \
	"$DIN_ROOT/scripts/async-e2e.sh"
job "adversaries: a cheating owner, a copying and an inflating participant, a copying evaluator; honest ones paid" \
	"$DIN_ROOT/scripts/adversary-e2e.sh"
job "robustness: centered clipping, three fixed sign-flipping participants of ten, within 2 points of the clean run" \
	"$DIN_ROOT/scripts/robust-e2e.sh"
job "tabular data: participants' own CSV on scales 1e-3 to 1e3, standardized by the task, scores proven by Groth16" \
	"$DIN_ROOT/scripts/tabular-e2e.sh"
job "differential privacy: a task's policy clips and noises every update, the chain counts ε, an unprivatized update is invalid" \
	"$DIN_ROOT/scripts/dp-e2e.sh"
job "secure aggregation: masked updates, one participant killed after uploading, the subgroup still unmasks; 90% on the digits" \
	"$DIN_ROOT/scripts/secagg-e2e.sh"
job "off-chain worker: a validator evaluating next to din evaluator daemons; its reveals must equal theirs" \
	"$DIN_ROOT/scripts/ocw-e2e.sh"
# Each zombienet test spawns a network of its own (four validators on ports the kernel picks,
# no mDNS), beside the other jobs but one at a time: with two networks at once (0004 enacting
# its upgrade while 0002 started) one's finality stalled past 180 s and a node of the other
# failed at start.
for test in zombienet/*.zndsl; do
	job_alone_in zombienet "zombienet $(basename "$test" .zndsl): $(sed -n 's/^Description: //p' "$test")" \
		"$DIN_ROOT/scripts/zombienet.sh" test "$test"
done
# The two stages through eth-rpc wait for its install where it is still running: queued
# last then, so that they do not hold two of the slots (and their timeouts) meanwhile.
with_eth_rpc=job
[ -z "$ETH_RPC_PID" ] || with_eth_rpc=job_last
"$with_eth_rpc" "EVM: eth-rpc in front of a dev node; ERC-20, the DIN precompile and a crowdfunding dApp through ethers" \
	"$DIN_ROOT/scripts/evm-test.sh"
"$with_eth_rpc" "dashboard in headless Chromium: a running task's phases and payouts as din task watch reports them; a wallet in the page launches a crowdfunded task" \
	"$DIN_ROOT/scripts/dashboard-e2e.sh"

LOGS="$CARGO_TARGET_DIR/test-logs"
rm -rf "$LOGS"
JOBS="${DIN_TEST_JOBS:-5}"
stage "${#DIN_JOB_NAMES[@]} jobs, $JOBS at a time (logs: $LOGS)"
start=$(date +%s)
rc=0
run_jobs "$JOBS" "$LOGS" || rc=$?
record_stage_time "tests, fuzzing and end-to-end stages, $JOBS at a time" "$start"
exit "$rc"
