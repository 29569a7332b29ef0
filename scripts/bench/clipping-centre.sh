#!/usr/bin/env bash
# Centered clipping from the median (the runtime's rule) against centered clipping from the
# global model the round trained from, under the poisoning matrix's attacks (issue #26);
# client/ml/examples/clipping_centre.rs. Prints a Markdown table; with --write it also
# replaces the generated table in docs/robustness-centre.md.
#
#   scripts/bench/clipping-centre.sh [--write] [--seeds N] [--splits iid,dirichlet]
#
# One thread; 5 seeds and both splits are 210 runs, about 4 min here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
source "$DIN_ROOT/scripts/lib/generated-section.sh"
cd "$DIN_ROOT"
WRITE=0
if [ "${1:-}" = --write ]; then WRITE=1; shift; fi
with_heartbeat "cargo build (clipping centre)" \
	cargo build "${DIN_TARGETS[@]}" --example clipping_centre
TABLE="$(mktemp)"
trap 'rm -f "$TABLE"' EXIT
RAYON_NUM_THREADS=1 with_heartbeat "clipping centre runs" \
	"$CARGO_TARGET_DIR/debug/examples/clipping_centre" "$@" >"$TABLE"
cat "$TABLE"
if [ "$WRITE" = 1 ]; then
	replace_generated_section "$DIN_ROOT/docs/robustness-centre.md" clipping-centre "$TABLE"
fi
