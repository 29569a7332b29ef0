#!/usr/bin/env bash
# The poisoning matrix (issue #26): every aggregation rule against every attack of
# `din_ml::robustness` at fixed attacker fractions, on IID and Dirichlet(0.5) splits of the
# digits, over several seeds; writes docs/robustness.md (generated, never hand-edited; the
# test command checks that its columns are the current rule list).
#
#   scripts/bench/poisoning.sh                                  # 5 seeds, 60 rounds, 10-40%, both splits
#   scripts/bench/poisoning.sh --seeds 2 --fractions 10,30      # a smaller matrix
#
# Flags go to client/ml/examples/poisoning_matrix.rs (--seeds, --rounds, --fractions,
# --splits, --threads, --out). The runs use every core; the full matrix is 1,450 runs (about 40 min on 2 cores).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$DIN_ROOT"
with_heartbeat "cargo build (poisoning matrix)" \
	cargo build "${DIN_TARGETS[@]}" --example poisoning_matrix
with_heartbeat "poisoning matrix" "$CARGO_TARGET_DIR/debug/examples/poisoning_matrix" "$@"
