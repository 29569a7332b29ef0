# Sourced by every DIN script: one persistent target dir, so that builds survive between
# sessions and CI reuses them (never `cargo clean` it).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/din/target}"
DIN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DIN_ROOT
DIN_NODE="$CARGO_TARGET_DIR/debug/din-node"
export DIN_NODE

# Every script builds the same package set with the same targets, so that Cargo's feature
# unification never differs between them and nothing is rebuilt for switching scripts.
# Benches are left out: `cargo bench` builds them with its own (optimised) profile.
DIN_TARGETS=(--workspace --lib --bins --tests --locked)
din_build() {
	(cd "$DIN_ROOT" && cargo build "${DIN_TARGETS[@]}" "$@")
}

# eth-rpc, the Ethereum JSON-RPC adapter in front of the node (pallet-revive-eth-rpc of the
# workspace's polkadot-sdk line). Installed by setup.sh into a cached tools directory
# rather than built in the workspace: see setup.sh.
ETH_RPC_VERSION=0.24.0
DIN_TOOLS="${DIN_TOOLS:-$HOME/.cache/din/tools}"
ETH_RPC="$DIN_TOOLS/eth-rpc-$ETH_RPC_VERSION/bin/eth-rpc"
export ETH_RPC
