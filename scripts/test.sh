#!/usr/bin/env bash
# The README's test command: every test of the workspace, including the ones that start
# real `din-node`, `din` and `eth-rpc` processes on loopback. Ends with a table of the
# stages' wall times.
#
# On a machine without eth-rpc (a fresh one), its install starts in the background at the
# lowest CPU priority before the workspace build, and the EVM stage, the only one that
# needs it, runs last: the install takes the CPU the build and the node tests leave idle
# (the end-to-end stages mostly wait for blocks) instead of running alone for ~20 min.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$DIN_ROOT/scripts/setup.sh" test
cd "$DIN_ROOT"

ETH_RPC_PID=""
ETH_RPC_LOG="$DIN_TOOLS/eth-rpc-install.log"
on_exit() {
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
	cargo build --locked -p din-fl --no-default-features --target wasm32v1-none
timed_stage "contracts compile with the pinned solc (contracts/build)" \
	bash -c 'cd contracts && node compile.js'
# Node tests start several nodes each; two test threads keep a 2-core machine responsive.
timed_stage "tests (cargo test)" \
	cargo test "${DIN_TARGETS[@]}" --no-fail-fast -- --test-threads 2
timed_stage "fuzzing: every decoder that reads a peer's or an artifact's bytes, 30 s each (cargo-fuzz)" \
	"$DIN_ROOT/scripts/fuzz.sh"
timed_stage "end-to-end federated training: node, store, owner, 4 participants, 3 evaluators (~6 min)" \
	"$DIN_ROOT/scripts/fl-e2e.sh"
timed_stage "adversaries: a cheating owner, a copying and an inflating participant, a copying evaluator; honest ones paid (~5 min)" \
	"$DIN_ROOT/scripts/adversary-e2e.sh"
timed_stage "off-chain worker: a validator evaluating next to din evaluator daemons; its reveals must equal theirs (~5 min)" \
	"$DIN_ROOT/scripts/ocw-e2e.sh"
timed_stage "zombienet: 4 validators, finality with one down, restart and catch-up; a federated round across them (~8 min)" \
	"$DIN_ROOT/scripts/zombienet.sh" test
if [ -n "$ETH_RPC_PID" ]; then
	timed_stage "waiting for the eth-rpc install (log: $ETH_RPC_LOG)" wait "$ETH_RPC_PID" || {
		tail -30 "$ETH_RPC_LOG" >&2
		die "installing eth-rpc failed (log: $ETH_RPC_LOG)"
	}
	ETH_RPC_PID=""
fi
timed_stage "EVM: eth-rpc in front of a dev node; ERC-20, the DIN precompile and a crowdfunding dApp through ethers (~1 min)" \
	"$DIN_ROOT/scripts/evm-test.sh"
