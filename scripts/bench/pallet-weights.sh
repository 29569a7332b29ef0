#!/usr/bin/env bash
# Regenerate the `weights.rs` of the DIN pallets with `din-node benchmark pallet`.
#
#   scripts/bench/pallet-weights.sh                  # every DIN pallet
#   scripts/bench/pallet-weights.sh tasks rewards    # only these (staking, tasks, evaluation, rewards, precompile)
#   STEPS=50 REPEAT=20 scripts/bench/pallet-weights.sh   # reference-hardware settings
#   SKIP_NODE_BUILD=1 …                              # reuse the din-node already built
#
# 1. Builds the workspace as every script does (din-node always has the `benchmark`
#    subcommand and the benchmark host functions).
# 2. Builds the din-runtime wasm with `runtime-benchmarks` only: a copy of the project
#    substrate-wasm-builder generated for the normal runtime (under
#    `$CARGO_TARGET_DIR/debug/wbuild/din-runtime`) with that feature switched on, compiled
#    into the same wasm target dir. Only the crates whose features change are rebuilt and
#    the native build is untouched (switching the feature on for the workspace would
#    recompile the whole native FRAME stack, and again when it is switched off).
# 3. Runs every benchmark of each pallet against that wasm (compiled by wasmtime, as a
#    validator runs it) and writes `pallets/<name>/src/weights.rs` through
#    scripts/bench/frame-weight-template.hbs.
#
# The runtime code measured is the release-built wasm; storage and crypto host functions
# come from the node binary (dev profile here, with opt-level 3 for the crypto crates).
# For weights of record, run with NODE_PROFILE=release on the reference machine.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$DIN_ROOT"

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
NODE_PROFILE="${NODE_PROFILE:-debug}"
TEMPLATE="$DIN_ROOT/scripts/bench/frame-weight-template.hbs"
HEADER="$DIN_ROOT/scripts/bench/header.txt"

# short name -> pallet name in the runtime's `define_benchmarks!`
declare -A PALLETS=(
	[staking]=pallet_din_staking
	[tasks]=pallet_din_tasks
	[evaluation]=pallet_din_evaluation
	[rewards]=pallet_din_rewards
	[precompile]=pallet_din_precompile
)
selected=("$@")
if [ ${#selected[@]} -eq 0 ]; then
	selected=(staking tasks evaluation rewards precompile)
fi

echo "==> building the workspace ($NODE_PROFILE din-node)"
if [ -n "${SKIP_NODE_BUILD:-}" ]; then
	echo "    skipped (SKIP_NODE_BUILD): using the din-node already built"
elif [ "$NODE_PROFILE" = release ]; then
	cargo build --locked --release -p din-node
else
	din_build
fi
NODE="$CARGO_TARGET_DIR/$NODE_PROFILE/din-node"
[ -x "$NODE" ] || { echo "missing $NODE" >&2; exit 1; }

echo "==> building the din-runtime wasm with runtime-benchmarks"
WBUILD="$CARGO_TARGET_DIR/$NODE_PROFILE/wbuild/din-runtime"
[ -f "$WBUILD/Cargo.toml" ] || { echo "missing $WBUILD: build the workspace first" >&2; exit 1; }
BENCH="$CARGO_TARGET_DIR/wbuild-bench"
mkdir -p "$BENCH/src"
# The workspace lock: it pins every optional dependency too, so nothing re-resolves.
cp "$DIN_ROOT/Cargo.lock" "$BENCH/"
cp "$WBUILD/src/lib.rs" "$BENCH/src/"
# Same project, the feature on, another package and library name (so that its output
# never overwrites the normal runtime's wasm in the shared target dir).
sed -e 's/^features = \[\]/features = ["runtime-benchmarks"]/' \
	-e 's/^name = "din-runtime-blob"/name = "din-runtime-benchmarks-blob"/' \
	-e 's/^name = "din_runtime"/name = "din_runtime_benchmarks"/' \
	"$WBUILD/Cargo.toml" > "$BENCH/Cargo.toml"
grep -q 'features = \["runtime-benchmarks"\]' "$BENCH/Cargo.toml" \
	|| { echo "unexpected wasm-builder project layout in $WBUILD/Cargo.toml" >&2; exit 1; }
# The flags substrate-wasm-builder passes for this target. pallet-revive's benchmark
# fixtures need solc; DIN's benchmarks do not use them (revive's own benchmarks are not
# run here), so they are skipped.
# The wasm-builder project lies outside the repository, so name the pinned toolchain.
TOOLCHAIN="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$DIN_ROOT/rust-toolchain.toml")"
(
	cd "$BENCH"
	env -u CARGO_ENCODED_RUSTFLAGS -u RUSTC \
		RUSTUP_TOOLCHAIN="$TOOLCHAIN" \
		CARGO_TARGET_DIR="$WBUILD/target" \
		SKIP_PALLET_REVIVE_FIXTURES=1 \
		RUSTFLAGS="-C link-arg=--export-table -C link-arg=--export=__heap_base -C link-arg=--import-memory --cfg substrate_runtime " \
		cargo rustc --target=wasm32v1-none --manifest-path=Cargo.toml --profile release
)
WASM="$WBUILD/target/wasm32v1-none/release/din_runtime_benchmarks.wasm"
[ -f "$WASM" ] || { echo "missing $WASM" >&2; exit 1; }

for short in "${selected[@]}"; do
	pallet="${PALLETS[$short]:-}"
	[ -n "$pallet" ] || { echo "unknown pallet '$short' (known: ${!PALLETS[*]})" >&2; exit 1; }
	out="$DIN_ROOT/pallets/$short/src/weights.rs"
	echo "==> $pallet -> $out"
	"$NODE" benchmark pallet \
		--runtime "$WASM" \
		--genesis-builder runtime \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--header "$HEADER" \
		--template "$TEMPLATE" \
		--output "$out"
done
