#!/usr/bin/env bash
# Regenerate the `weights.rs` of the DIN pallets with `din-node benchmark pallet`.
#
#   scripts/bench/pallet-weights.sh            # every DIN pallet
#   scripts/bench/pallet-weights.sh tasks      # only pallets/tasks (names: staking, tasks, …)
#
# Builds din-node and the din-runtime wasm with `--features runtime-benchmarks` in the
# release profile (weights must be measured on optimised code), then runs every benchmark
# of each pallet against that wasm and writes `pallets/<name>/src/weights.rs` through
# scripts/bench/frame-weight-template.hbs (trait `WeightInfo`, `SubstrateWeight<T>` and the
# `()` impl, with the umbrella crate's paths). Run it on the reference machine; commit the
# regenerated files. STEPS/REPEAT can be lowered for a quick local check.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$DIN_ROOT"

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
TEMPLATE="$DIN_ROOT/scripts/bench/frame-weight-template.hbs"
HEADER="$DIN_ROOT/scripts/bench/header.txt"

# short name -> pallet name in the runtime's `define_benchmarks!`
declare -A PALLETS=(
	[staking]=pallet_din_staking
	[tasks]=pallet_din_tasks
)
selected=("$@")
if [ ${#selected[@]} -eq 0 ]; then
	selected=("${!PALLETS[@]}")
fi

echo "==> building din-node + runtime wasm with runtime-benchmarks (release)"
cargo build --locked --release -p din-node --features runtime-benchmarks

NODE="$CARGO_TARGET_DIR/release/din-node"
WASM="$CARGO_TARGET_DIR/release/wbuild/din-runtime/din_runtime.compact.compressed.wasm"
[ -x "$NODE" ] || { echo "missing $NODE" >&2; exit 1; }
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
