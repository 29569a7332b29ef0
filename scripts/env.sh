# Sourced by every DIN script: one persistent target dir, so that builds survive between
# sessions and CI reuses them (never `cargo clean` it).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/din/target}"
DIN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DIN_ROOT
DIN_NODE="$CARGO_TARGET_DIR/debug/din-node"
export DIN_NODE
source "$DIN_ROOT/scripts/lib/log.sh"

# Every script builds the same package set with the same targets, so that Cargo's feature
# unification never differs between them and nothing is rebuilt for switching scripts.
# Benches are left out: `cargo bench` builds them with its own (optimised) profile.
DIN_TARGETS=(--workspace --lib --bins --tests --locked)
din_build() {
	(cd "$DIN_ROOT" && with_heartbeat "cargo build" cargo build "${DIN_TARGETS[@]}" "$@")
}

# eth-rpc, the Ethereum JSON-RPC adapter in front of the node (pallet-revive-eth-rpc of the
# workspace's polkadot-sdk line), installed once per version into a cached tools directory
# by `install_eth_rpc` (scripts/setup.sh eth-rpc), and only by the steps that use it.
# Not a workspace member: its sc-cli/sc-service default features (RocksDB) would be
# unified into din-node's build, and built alone in the workspace's target dir it shares
# only a third of its units with din-node's (their features differ). Its own target dir
# keeps an interrupted build resumable.
ETH_RPC_VERSION=0.24.0
DIN_TOOLS="${DIN_TOOLS:-$HOME/.cache/din/tools}"
DIN_TOOLS_TARGET="${DIN_TOOLS_TARGET:-$HOME/.cache/din/tools-target}"
ETH_RPC="$DIN_TOOLS/eth-rpc-$ETH_RPC_VERSION/bin/eth-rpc"
export ETH_RPC
# cargo-fuzz, for scripts/fuzz.sh, installed the same way (scripts/setup.sh fuzz).
CARGO_FUZZ_VERSION=0.13.2
CARGO_FUZZ="$DIN_TOOLS/cargo-fuzz-$CARGO_FUZZ_VERSION/bin/cargo-fuzz"
export CARGO_FUZZ
install_eth_rpc() {
	[ -x "$ETH_RPC" ] && return 0
	stage "cargo install pallet-revive-eth-rpc $ETH_RPC_VERSION into $DIN_TOOLS (once; ~20 min cold on 2 cores)"
	# A debug build without debug info: the EVM test and a dev chain need a working adapter,
	# not a fast one, and compiling at opt-level 0 takes a fraction of a release build's CPU.
	# The workspace's wasm-opt patch replaces binaryen's C++, which eth-rpc's build would
	# otherwise compile for its metadata runtime's builder.
	SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$DIN_TOOLS_TARGET" \
		with_heartbeat "eth-rpc install" cargo install --locked --debug pallet-revive-eth-rpc \
		--version "$ETH_RPC_VERSION" --root "$DIN_TOOLS/eth-rpc-$ETH_RPC_VERSION" \
		--config "patch.crates-io.wasm-opt.path=\"$DIN_ROOT/tools/wasm-opt\"" \
		--config profile.dev.debug=0
}
