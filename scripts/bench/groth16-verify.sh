#!/usr/bin/env bash
# Groth16 verification of one evaluation proof (softmax 64 → 10, 360 test samples), three
# ways side by side in one criterion run (`client/zk/benches/evaluation.rs`, after a real
# setup and proof):
#   - from bytes: decode and check the compressed key, prepare it, verify (what every
#     `submit_score` ran before the key was prepared at registration);
#   - stored prepared key: the 1,224 bytes `register_verifying_key` stores (the key and
#     e(α, β), uncompressed, read without subgroup checks), −γ and −δ derived per proof:
#     what `submit_score` runs now, through the host function;
#   - prepared key in memory: arkworks' whole `PreparedVerifyingKey` (34,650 bytes if
#     stored), the floor of the stored form.
#
# Prints a Markdown table of medians and ratios against "from bytes"; with --write it also
# replaces the generated table in docs/benchmarks.md.
#
#   scripts/bench/groth16-verify.sh [--write]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WRITE=0
[ "${1:-}" = --write ] && WRITE=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/din/target}"
cd "$ROOT"
source "$ROOT/scripts/lib/generated-section.sh"
SHAPE=softmax-64-10
rm -rf "$CARGO_TARGET_DIR"/criterion/"$SHAPE"_verify_*
DIN_ZK_BENCH_SHAPES=softmax cargo bench --locked --quiet -p din-zk --bench evaluation -- verify >&2

TABLE="$(mktemp)"
trap 'rm -f "$TABLE"' EXIT
python3 - "$CARGO_TARGET_DIR/criterion" "$SHAPE" "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p')" \
	<<'PY' | tee "$TABLE"
import json, pathlib, sys

criterion, shape, cores, cpu = pathlib.Path(sys.argv[1]), *sys.argv[2:]

def median_ms(series):
    # criterion writes the benchmark `a/b` to the directory `a_b`
    path = criterion / f"{shape}_{series}" / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"] / 1e6

base = median_ms("verify_bytes")
rows = [
    "| verification of one proof | median | from bytes ÷ this |",
    "|---|---:|---:|",
]
for series, label in [
    ("verify_bytes", "from bytes (compressed key decoded and checked, `e(α, β)` computed)"),
    ("verify_stored_prepared", "stored prepared key (1,224 bytes; what `submit_score` runs)"),
    ("verify_prepared", "whole prepared key in memory (34,650 bytes if stored)"),
]:
    t = median_ms(series)
    rows.append(f"| {label} | {t:.2f} ms | **{base / t:.2f}** |")
print(f"Criterion medians, native, one proof of `{shape}`; {cpu}, {cores} cores.\n")
print("\n".join(rows))
PY
if [ "$WRITE" = 1 ]; then
	replace_generated_section "$ROOT/docs/benchmarks.md" groth16-verify "$TABLE"
fi
