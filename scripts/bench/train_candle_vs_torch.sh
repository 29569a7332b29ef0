#!/usr/bin/env bash
# Training throughput, candle (din-ml) vs PyTorch CPU, side by side in one run.
#
# For every model in MODELS and every thread count in THREADS: the same model (mlp:W,…
# = 64 → W → … → 10, cnn:C,… = 3×3 convolutions with C channels, ReLU and 2×2
# max-pool over the 8×8 digits, then a linear head), the same digits training split,
# batch size and SGD + momentum loop, and the same thread count for both (candle:
# RAYON_NUM_THREADS; torch: torch.set_num_threads + OMP/MKL variables). Each side reports
# its best of REPEATS timed runs and the test accuracy after EPOCHS epochs. PyTorch is
# installed into $ROOT/.venv with pip on first use (about 5 GB: the PyPI wheel pulls
# CUDA libraries even for CPU use).
#
# Prints a Markdown table; with --write it also replaces the generated table in
# docs/benchmarks.md.
#
#   MODELS="mlp:512,256" THREADS="1 2" EPOCHS=20 scripts/bench/train_candle_vs_torch.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODELS="${MODELS:-mlp:64 mlp:512,256 cnn:8,16 cnn:16,32}"
THREADS="${THREADS:-1 2}"
BATCH="${BATCH:-32}"
EPOCHS="${EPOCHS:-20}"
REPEATS="${REPEATS:-3}"
WRITE=0
[ "${1:-}" = --write ] && WRITE=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/din/target-ml}"
VENV="$ROOT/.venv"

if [ ! -x "$VENV/bin/python" ]; then
	python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
	echo "installing PyTorch into $VENV ..." >&2
	"$VENV/bin/pip" install --quiet torch
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
source "$ROOT/scripts/lib/generated-section.sh"
cargo bench --locked --quiet -p din-ml --bench train_throughput --no-run
bench() {
	cargo bench --locked --quiet -p din-ml --bench train_throughput -- "$@"
}
bench --model mlp:64 --epochs 1 --repeats 1 --export "$WORK/train.csv" \
	--export-test "$WORK/test.csv" >/dev/null

for threads in $THREADS; do
	for model in $MODELS; do
		echo "$model, $threads thread(s) ..." >&2
		RAYON_NUM_THREADS="$threads" bench --model "$model" --batch "$BATCH" \
			--epochs "$EPOCHS" --repeats "$REPEATS" | tail -n 1 >>"$WORK/candle.jsonl"
		OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$VENV/bin/python" \
			"$ROOT/scripts/bench/train_torch.py" --data "$WORK/train.csv" \
			--test-data "$WORK/test.csv" --model "$model" --batch "$BATCH" \
			--epochs "$EPOCHS" --repeats "$REPEATS" --threads "$threads" \
			2>/dev/null | tail -n 1 >>"$WORK/torch.jsonl"
	done
done

"$VENV/bin/python" - "$WORK/candle.jsonl" "$WORK/torch.jsonl" "$(nproc)" \
	"$(lscpu | sed -n 's/^Model name: *//p')" <<'PY' | tee "$WORK/table.md"
import json, sys

candle, torch = ([json.loads(line) for line in open(path)] for path in sys.argv[1:3])
cores, cpu = sys.argv[3], sys.argv[4]
first = torch[0]
rows = [
    "| model | threads | candle samples/s | PyTorch samples/s | candle ÷ PyTorch | candle test accuracy | PyTorch test accuracy |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
for c, t in zip(candle, torch):
    rows.append(
        f"| `{c['model']}` | {c['threads']} | {c['samples_per_s']:,.0f} | {t['samples_per_s']:,.0f} "
        f"| **{c['samples_per_s'] / t['samples_per_s']:.2f}** | {100 * c['test_accuracy']:.2f}% "
        f"| {100 * t['test_accuracy']:.2f}% |"
    )
table = "\n".join(rows)
header = (
    f"Batch {first['batch']}, {first['epochs']} epochs after one untimed, best of the repeats, "
    f"SGD lr 0.05 momentum 0.9 on the digits training split (1,437 samples); accuracy on "
    f"the 360-sample test split after the last repeat. PyTorch {first['version']}; "
    f"{cpu}, {cores} cores."
)
print(header + "\n\n" + table)
PY
if [ "$WRITE" = 1 ]; then
	replace_generated_section "$ROOT/docs/benchmarks.md" train_candle_vs_torch "$WORK/table.md"
fi
