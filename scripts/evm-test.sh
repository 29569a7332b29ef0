#!/usr/bin/env bash
# DIN from Ethereum tooling, end to end: din-node --dev, eth-rpc in front of it, the
# contracts compiled with the pinned solc, and contracts/test (ethers, node's test runner):
# chain id / balances / nonces, an OpenZeppelin ERC-20, bonding through the DIN
# precompile, a crowdfunding contract that creates a task through it (checked on the
# Substrate side with `din task status`), a static call the precompile refuses.
#
# eth-rpc is `pallet-revive-eth-rpc` $ETH_RPC_VERSION, installed once into
# $DIN_TOOLS (cargo install --locked; ~30 min cold on 2 cores, then cached).
set -euo pipefail
source "$(dirname "$0")/env.sh"

ETH_RPC_VERSION=0.24.0
DIN_TOOLS="${DIN_TOOLS:-$HOME/.cache/din/tools}"
ETH_RPC="$DIN_TOOLS/eth-rpc-$ETH_RPC_VERSION/bin/eth-rpc"
if [ ! -x "$ETH_RPC" ]; then
	echo "==> installing pallet-revive-eth-rpc $ETH_RPC_VERSION into $DIN_TOOLS (once)"
	# Not a workspace member: its sc-cli/sc-service default features (rocksdb) would be
	# unified into din-node's build. Its own target dir keeps a partial build resumable.
	SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$HOME/.cache/din/tools-target" \
		cargo install --locked pallet-revive-eth-rpc --version "$ETH_RPC_VERSION" \
		--root "$DIN_TOOLS/eth-rpc-$ETH_RPC_VERSION"
fi

din_build
(cd "$DIN_ROOT/contracts" && { [ -d node_modules/solc ] || npm ci --no-audit --no-fund --loglevel=error; } && node compile.js)

WORK="$(mktemp -d)"
source "$DIN_ROOT/scripts/lib/processes.sh"
wait_http() { # url, JSON-RPC method, log
	for _ in $(seq 120); do
		curl -s -m 2 -H 'Content-Type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":[]}" \
			"$1" | grep -q '"result"' && return 0
		sleep 1
	done
	echo "FAILED: nothing answers $2 at $1" >&2
	tail -20 "$3" >&2
	exit 1
}

NODE_PORT=$(free_port)
"$DIN_NODE" --dev --base-path "$WORK/node" --rpc-port "$NODE_PORT" --port "$(free_port)" \
	--no-telemetry --no-prometheus >"$WORK/node.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$NODE_PORT" chain_getHeader "$WORK/node.log"

ETH_PORT=$(free_port)
"$ETH_RPC" --dev --node-rpc-url "ws://127.0.0.1:$NODE_PORT" --rpc-port "$ETH_PORT" \
	--eth-pruning 1000 --no-prometheus >"$WORK/eth-rpc.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$ETH_PORT" eth_chainId "$WORK/eth-rpc.log"

echo "==> ethers tests against eth-rpc (http://127.0.0.1:$ETH_PORT)"
cd "$DIN_ROOT/contracts"
DIN_ETH_RPC="http://127.0.0.1:$ETH_PORT" DIN_URL="ws://127.0.0.1:$NODE_PORT" \
	DIN_BIN="$CARGO_TARGET_DIR/debug/din" DIN_WORK="$WORK" \
	timeout 600 node --test --test-concurrency=1 test/ || {
		echo "--- eth-rpc.log"; tail -20 "$WORK/eth-rpc.log"; echo "--- node.log"; tail -20 "$WORK/node.log"
		exit 1
	} >&2
