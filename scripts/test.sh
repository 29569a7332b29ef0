#!/usr/bin/env bash
# The README's test command: every test of the workspace, including the ones that start
# real `din-node` processes on loopback.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$DIN_ROOT/scripts/setup.sh"
cd "$DIN_ROOT"

echo "==> build (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
din_build

echo "==> no_std core builds for the runtime's target"
cargo build --locked -p din-aggregate --no-default-features --target wasm32v1-none

echo "==> contracts compile with the pinned solc (contracts/build)"
(cd "$DIN_ROOT/contracts" && node compile.js)

echo "==> tests"
# Node tests start several nodes each; two test threads keep a 2-core machine responsive.
cargo test "${DIN_TARGETS[@]}" --no-fail-fast -- --test-threads 2

echo "==> end-to-end federated training: node, store, owner, 4 participants, 3 evaluators (~4 min)"
"$DIN_ROOT/scripts/fl-e2e.sh"

echo "==> off-chain worker: a validator evaluating next to din evaluator daemons; its reveals must equal theirs (~3 min)"
"$DIN_ROOT/scripts/ocw-e2e.sh"

echo "==> EVM: eth-rpc in front of a dev node; ERC-20, the DIN precompile and a crowdfunding dApp through ethers (~1 min)"
"$DIN_ROOT/scripts/evm-test.sh"

echo "==> zombienet: 4 validators, finality with one down, restart and catch-up; a federated round across them (~5 min)"
"$DIN_ROOT/scripts/zombienet.sh" test
