#!/usr/bin/env bash
# DIN from Ethereum tooling, end to end: din-node --dev, eth-rpc in front of it, the
# contracts compiled with the pinned solc, and contracts/test (ethers, node's test runner):
# chain id / balances / nonces, an OpenZeppelin ERC-20, bonding through the DIN
# precompile, a crowdfunding contract that creates a task through it (checked on the
# Substrate side with `din task status`), the same in the dev stablecoin through its ERC-20
# precompile (a pool in dUSD), a static call the precompile refuses.
#
# eth-rpc is `pallet-revive-eth-rpc` $ETH_RPC_VERSION, which `setup.sh eth-rpc` installs once
# into $DIN_TOOLS (see env.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$DIN_ROOT/scripts/setup.sh" test eth-rpc
din_build
(cd "$DIN_ROOT/contracts" && node compile.js)

WORK="$(mktemp -d)"
source "$DIN_ROOT/scripts/lib/processes.sh"
source "$DIN_ROOT/scripts/lib/dev-chain.sh"
NODE_PORT=$(free_port)
ETH_PORT=$(free_port)
start_dev_chain "$NODE_PORT" "$ETH_PORT"

echo "==> ethers tests against eth-rpc (http://127.0.0.1:$ETH_PORT)"
cd "$DIN_ROOT/contracts"
DIN_ETH_RPC="http://127.0.0.1:$ETH_PORT" DIN_URL="ws://127.0.0.1:$NODE_PORT" \
	DIN_BIN="$CARGO_TARGET_DIR/debug/din" DIN_WORK="$WORK" \
	timeout 600 node --test --test-concurrency=1 test/ || {
		echo "--- eth-rpc.log"; tail -20 "$WORK/eth-rpc.log"; echo "--- node.log"; tail -20 "$WORK/node.log"
		exit 1
	} >&2
