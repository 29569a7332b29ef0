#!/usr/bin/env bash
# The off-chain worker's aggregation duty in wasm against the native client, side by side
# on the same inputs (din_fl::synthetic), reported as ratios.
#
#   scripts/bench/ocw-aggregate.sh
#   POINTS="8:16384 32:131072" RULES="fed_avg" REPEAT=5 scripts/bench/ocw-aggregate.sh
#   NODE_PROFILE=release POINTS="100:65536" RULES=fed_avg scripts/bench/ocw-aggregate.sh
#
# A duty is what the worker computes for one subgroup once its n updates of p values are
# fetched: each update's CID check, decoding, schema, sample-count and Poseidon
# commitment checks, the task's rule, and the aggregate's encoding, CID and commitment.
# - wasm: the evaluation pallet's `offchain_aggregate_<rule>` benchmarks (`extra`, so
#   weight generation skips them), run by `din-node benchmark pallet` in the runtime wasm
#   compiled by wasmtime, as a validator's worker runs it; the commitments go through the
#   runtime's host function, as in the worker.
# - native: `cargo bench -p din-zk --bench evaluator_duty`, the same steps as the
#   `din evaluator` daemon takes them (rules on rayon).
# Both time the duty only (not the synthetic setup); the summary prints the median of the
# runs of each (4 × WASM_REPEAT in wasm, REPEAT natively) and the wasm / native ratio.
# NODE_PROFILE picks the benchmark node's profile (debug by default; release is the one
# scripts/bench/pallet-weights.sh builds, and what validators run): the wasm is the same
# release-compiled runtime either way, the host functions (the commitments) are the
# node's code.
# The default points go to 32 updates of up to 2^17 values (the runtime's bounds are
# MaxSubgroupSize = 100 updates of MaxOffchainModelValues = 2^16 values; the benchmarks
# admit twice the values).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
source "$DIN_ROOT/scripts/lib/benchmark-runtime.sh"
cd "$DIN_ROOT"

POINTS="${POINTS:-4:1024 8:16384 32:16384 8:131072 32:131072}"
RULES="${RULES:-fed_avg median multi_krum centered_clipping}"
REPEAT="${REPEAT:-3}"      # native runs per rule and point
WASM_REPEAT="${WASM_REPEAT:-1}"  # × 4: the CLI runs each point once per step of each component
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"

echo "==> building din-node with benchmark-cli and the benchmark runtime"
NODE_PROFILE="${NODE_PROFILE:-debug}"
build_benchmark_node "$NODE_PROFILE"
build_benchmark_runtime "$NODE_PROFILE"

echo "==> wasm: din-node benchmark pallet (results in $OUT)"
extrinsics="$(for rule in $RULES; do printf 'offchain_aggregate_%s,' "$rule"; done)"
for point in $POINTS; do
	n="${point%:*}" p="${point#*:}"
	echo "    n=$n p=$p"
	# low = high: one point. With two components the CLI runs it four times (two steps
	# each); every run is recorded and the summary takes their median.
	"$BENCHMARK_NODE" benchmark pallet \
		--runtime "$BENCHMARK_RUNTIME" \
		--genesis-builder runtime \
		--pallet pallet_din_evaluation \
		--extrinsic "${extrinsics%,}" \
		--extra \
		--low "$n,$p" --high "$n,$p" \
		--steps 2 --repeat "$WASM_REPEAT" --min-duration 0 \
		--no-verify --no-median-slopes --no-min-squares \
		--wasm-execution compiled \
		--heap-pages 2048 \
		--json-file "$OUT/wasm-$n-$p.json" > "$OUT/wasm-$n-$p.log" 2>&1 \
		|| { tail -20 "$OUT/wasm-$n-$p.log" >&2; exit 1; }
done

echo "==> native: cargo bench -p din-zk --bench evaluator_duty"
DIN_DUTY_POINTS="$POINTS" DIN_DUTY_RULES="$RULES" DIN_DUTY_REPEAT="$REPEAT" \
	cargo bench --locked --quiet -p din-zk --bench evaluator_duty > "$OUT/native.jsonl"

python3 "$DIN_ROOT/scripts/bench/ocw_aggregate_summary.py" "$OUT"
