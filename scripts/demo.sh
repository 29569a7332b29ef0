#!/usr/bin/env bash
# The README's first command: federated training of a digits classifier on a fresh DIN
# dev chain, by real processes on loopback (see scripts/fl-run.sh for what runs).
#
# A model owner (//Alice) creates a task — softmax regression on the UCI digits, 8
# participants in 2 subgroups of 4, 3 evaluators per subgroup drawn from a pool of 4,
# 5 rounds of FedAvg, accuracy proven with Groth16 — and escrows 10,000 tokens. Each
# participant trains on its own eighth of the training split; the evaluators aggregate,
# commit-reveal, agree on each round's global model and prove every accepted update's
# accuracy on the owner's committed test set; the chain verifies the proofs and pays.
# Printed: per-round global accuracy (on the 360-sample digits test split), every score,
# payout and slash, the final balances; then the final model's accuracy, which must be
# at least 90% for the script to succeed. About 8 minutes after the build; the build
# itself (first run only) is timed in the README.
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$DIN_ROOT/scripts/setup.sh"
timed_stage "build (CARGO_TARGET_DIR=$CARGO_TARGET_DIR; 15-50 min cold on 2 cores, by machine, seconds warm)" din_build

RESULT="$(mktemp)"
# The table of the stages' wall times, also when one failed.
trap 'rm -f "$RESULT"; stage_times' EXIT
# fl-run.sh writes the final model's evaluation as JSON to the file FINAL_JSON names.
timed_stage "federated training on a dev chain (about 9 min)" \
	env FINAL_JSON="$RESULT" "$DIN_ROOT/scripts/fl-run.sh" "$@"
final="$(cat "$RESULT")"
accuracy=$(jq -r .accuracy <<<"$final")
stage "final global model: $(jq -r '"\(.correct)/\(.samples)"' <<<"$final") correct on the digits test split"
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.90) }' || die "accuracy $accuracy is below 90%"
