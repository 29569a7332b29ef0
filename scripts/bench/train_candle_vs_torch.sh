#!/usr/bin/env bash
# Training throughput, candle (din-ml) vs PyTorch CPU, side by side in one run.
#
# Same MLP (64 -> HIDDEN -> 10), same digits training split, same batch size, same
# SGD + momentum loop and the same thread count for both (candle: RAYON_NUM_THREADS;
# torch: torch.set_num_threads + OMP/MKL variables). PyTorch is installed into
# $ROOT/.venv with pip on first use (about 5 GB: the PyPI wheel pulls CUDA libraries
# even for CPU use). Prints both JSON lines and the ratio.
#
# MALLOC_TUNED=1 sets glibc's mmap/trim thresholds for both processes: candle allocates
# a fresh buffer per tensor op, and with glibc's defaults buffers above 128 KiB (wide
# layers, big batches) go back to the kernel on free and page-fault in again on the
# next step; PyTorch is not affected by it.
#
#   THREADS=1 BATCH=32 HIDDEN=128,64 EPOCHS=20 scripts/bench/train_candle_vs_torch.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
THREADS="${THREADS:-1}"
BATCH="${BATCH:-32}"
HIDDEN="${HIDDEN:-128,64}"
EPOCHS="${EPOCHS:-20}"
REPEATS="${REPEATS:-3}"
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

export RAYON_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS" MKL_NUM_THREADS="$THREADS"
if [ "${MALLOC_TUNED:-0}" = 1 ]; then
	export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824
fi
cd "$ROOT"
cargo bench --quiet -p din-ml --bench train_throughput -- \
	--hidden "$HIDDEN" --batch "$BATCH" --epochs "$EPOCHS" --repeats "$REPEATS" \
	--export "$WORK/train.csv" | tail -n 1 >"$WORK/candle.json"
"$VENV/bin/python" "$ROOT/scripts/bench/train_torch.py" --data "$WORK/train.csv" \
	--hidden "$HIDDEN" --batch "$BATCH" --epochs "$EPOCHS" --repeats "$REPEATS" \
	--threads "$THREADS" | tail -n 1 >"$WORK/torch.json"

cat "$WORK/candle.json" "$WORK/torch.json"
"$VENV/bin/python" - "$WORK/candle.json" "$WORK/torch.json" <<'PY'
import json, sys
candle, torch = (json.load(open(p)) for p in sys.argv[1:3])
ratio = candle["samples_per_s"] / torch["samples_per_s"]
print(f"candle {candle['samples_per_s']:.0f} samples/s, torch {torch['samples_per_s']:.0f} samples/s, "
      f"candle/torch = {ratio:.2f}x (batch {candle['batch']}, hidden {candle['hidden']}, threads {candle['threads']})")
PY
