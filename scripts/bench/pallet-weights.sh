#!/usr/bin/env bash
# Regenerate the `weights.rs` of the DIN pallets with `din-node benchmark pallet`.
#
#   scripts/bench/pallet-weights.sh                  # every DIN pallet
#   scripts/bench/pallet-weights.sh tasks rewards    # only these (staking, tasks, evaluation, rewards, precompile, validators)
#   STEPS=50 REPEAT=20 scripts/bench/pallet-weights.sh   # reference-hardware settings
#   SKIP_NODE_BUILD=1 …                              # reuse the din-node already built
#   SKIP_MOCK_CHECK=1 …                              # skip step 0 (its own cold build is
#                                                    # ~15 min; the benchmarks still run)
#
# 0. Runs every benchmark once against its pallet's mock (check-benchmarks.sh), so a broken
#    benchmark fails in a minute rather than after the node build.
# 1. Builds din-node with `--features benchmark-cli` (the `benchmark` subcommand) in a
#    target dir of its own (scripts/lib/benchmark-runtime.sh), so the test build stays warm.
# 2. Builds the din-runtime wasm with `runtime-benchmarks` only
#    (scripts/lib/benchmark-runtime.sh: the native build is untouched).
# 3. Runs every benchmark of each pallet against that wasm (compiled by wasmtime, as a
#    validator runs it) and writes `pallets/<name>/src/weights.rs` through
#    scripts/bench/frame-weight-template.hbs.
#
# The runtime code measured is the release-built wasm; storage and crypto host functions
# come from the node binary, release-built by default as validators run it (the weights of
# record; a cold release build of the node took 41 min on 2 cores here).
# NODE_PROFILE=debug measures with the dev-profile node of a quicker build (opt-level 3
# for the crypto crates only), whose host functions are slower: pessimistic weights.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
source "$DIN_ROOT/scripts/lib/benchmark-runtime.sh"
cd "$DIN_ROOT"

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
NODE_PROFILE="${NODE_PROFILE:-release}"
TEMPLATE="$DIN_ROOT/scripts/bench/frame-weight-template.hbs"
HEADER="$DIN_ROOT/scripts/bench/header.txt"

# short name -> pallet name in the runtime's `define_benchmarks!`
declare -A PALLETS=(
	[staking]=pallet_din_staking
	[tasks]=pallet_din_tasks
	[evaluation]=pallet_din_evaluation
	[rewards]=pallet_din_rewards
	[precompile]=pallet_din_precompile
	[validators]=pallet_din_validators
)
selected=("$@")
if [ ${#selected[@]} -eq 0 ]; then
	selected=(staking tasks evaluation rewards precompile validators)
fi

echo "==> every benchmark once against its pallet's mock (scripts/bench/check-benchmarks.sh)"
if [ -n "${SKIP_MOCK_CHECK:-}" ]; then
	echo "    skipped (SKIP_MOCK_CHECK)"
else
	"$DIN_ROOT/scripts/bench/check-benchmarks.sh"
fi

echo "==> building din-node with benchmark-cli ($NODE_PROFILE, in $DIN_BENCH_TARGET_DIR)"
if [ -n "${SKIP_NODE_BUILD:-}" ]; then
	echo "    skipped (SKIP_NODE_BUILD): using the din-node already built"
	BENCHMARK_NODE="$DIN_BENCH_TARGET_DIR/$NODE_PROFILE/din-node"
else
	build_benchmark_node "$NODE_PROFILE"
fi
NODE="$BENCHMARK_NODE"
[ -x "$NODE" ] || { echo "missing $NODE" >&2; exit 1; }

echo "==> building the din-runtime wasm with runtime-benchmarks"
build_benchmark_runtime "$NODE_PROFILE"
WASM="$BENCHMARK_RUNTIME"

# The header of every generated file names how its weights were measured.
header="$(mktemp)"
trap 'rm -f "$header"' EXIT
{
	cat "$HEADER"
	echo "//"
	echo "// Measured by scripts/bench/pallet-weights.sh with a $NODE_PROFILE-profile din-node,"
	echo "// STEPS=$STEPS REPEAT=$REPEAT, on $(nproc) cores of $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)."
} > "$header"

for short in "${selected[@]}"; do
	pallet="${PALLETS[$short]:-}"
	[ -n "$pallet" ] || { echo "unknown pallet '$short' (known: ${!PALLETS[*]})" >&2; exit 1; }
	out="$DIN_ROOT/pallets/$short/src/weights.rs"
	echo "==> $pallet -> $out"
	started=$SECONDS
	"$NODE" benchmark pallet \
		--runtime "$WASM" \
		--genesis-builder runtime \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution compiled \
		--heap-pages 4096 \
		--header "$header" \
		--template "$TEMPLATE" \
		--output "$out"
	echo "    $pallet: $((SECONDS - started)) s"
done
echo "==> weights written in $SECONDS s in all (node build included)"
