#!/usr/bin/env bash
# DIN's Poseidon: the rewritten rounds (`din_zk_verifier::poseidon::permutation`) against
# arkworks' `PoseidonSponge`, side by side in one criterion run on the same inputs (the
# bench asserts equal outputs first): `hash` of 8 and 1,024 field elements and the model
# commitment of an update of 2^16 values.
#
# Prints a Markdown table of medians and arkworks ÷ rewritten; with --write it also
# replaces the generated table in docs/benchmarks.md.
#
#   scripts/bench/poseidon.sh [--write]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WRITE=0
[ "${1:-}" = --write ] && WRITE=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/din/target}"
cd "$ROOT"
source "$ROOT/scripts/lib/generated-section.sh"
rm -rf "$CARGO_TARGET_DIR"/criterion/{hash_8,hash_1024,model_commitment_65536}
cargo bench --locked --quiet -p din-zk-verifier --bench poseidon >&2

TABLE="$(mktemp)"
trap 'rm -f "$TABLE"' EXIT
python3 - "$CARGO_TARGET_DIR/criterion" "$(nproc)" "$(lscpu | sed -n 's/^Model name: *//p')" \
	<<'PY' | tee "$TABLE"
import json, pathlib, sys

criterion, cores, cpu = pathlib.Path(sys.argv[1]), *sys.argv[2:]

def median_ns(group, series):
    # criterion writes group `a/b` to the directory `a_b`
    return json.loads((criterion / group / series / "new" / "estimates.json").read_text())["median"]["point_estimate"]

rows = [
    "| input | arkworks sponge | rewritten rounds | arkworks ÷ rewritten |",
    "|---|---:|---:|---:|",
]
for group, label in [
    ("hash_8", "`hash` of 8 elements (1 permutation)"),
    ("hash_1024", "`hash` of 1,024 elements (128 permutations)"),
    ("model_commitment_65536", "`model_commitment` of 2^16 values (1,037 permutations)"),
]:
    old, new = (median_ns(group, s) for s in ("arkworks_sponge", "rewritten_rounds"))
    unit, scale = ("µs", 1e3) if old < 1e6 else ("ms", 1e6)
    rows.append(f"| {label} | {old / scale:,.1f} {unit} | {new / scale:,.1f} {unit} | **{old / new:.2f}** |")
table = "\n".join(rows)
header = f"Criterion medians, one thread; {cpu}, {cores} cores."
print(header + "\n\n" + table)
PY
if [ "$WRITE" = 1 ]; then
	replace_generated_section "$ROOT/docs/benchmarks.md" poseidon "$TABLE"
fi
