#!/usr/bin/env bash
# End-to-end test of a task with a differential-privacy policy (part of scripts/test.sh):
# 4 participants in one subgroup, 3 evaluators, 3 rounds, FedAvg, median scores; the task
# asks every update clipped to L2 norm 1 and noised with σ 0.05 (δ 1e-5, ε budget 1000).
# The last participant publishes its updates neither clipped nor noised
# (`--attack skip-privacy`). Asserts on `din task watch --json`'s summary:
# - the chain records the ε of each round (`PrivacySpent`), rising, the last equal to the
#   closed form the policy counts by (docs/privacy.md), computed here in floating point;
# - the unprivatized participant is judged invalid (its delta beyond the policy's bound) and
#   slashed `InvalidUpdate`, and is not paid;
# - every privatized participant is paid and never slashed, and the evaluators agree (none
#   slashed);
# - the noised model still learns: the final global model is far above the genesis model;
# - the pool's accounting holds.
# docs/privacy.md has the accuracy against the same task without a policy
# (scripts/bench/privacy.sh). About 6 minutes.
set -euo pipefail
source "$(dirname "$0")/env.sh"

SUMMARY="$(mktemp)"
trap 'rm -f "$SUMMARY"' EXIT
"$DIN_ROOT/scripts/fl-run.sh" --participants 4 --evaluators 3 --subgroup-size 4 --q 3 --rounds 3 \
	--aggregation fedavg --scoring median --dp 1,0.05,1000 --unprivatized --timeout 900 \
	--summary "$SUMMARY"

DIN="$CARGO_TARGET_DIR/debug/din"
address() { "$DIN" key inspect --suri "$1"; }
UNPRIVATIZED=$(address //Eve) # participant 4
HONEST=($(address //Bob) $(address //Charlie) $(address //Dave))
EVALUATORS=($(address //Ferdie) $(address //Alice//stash) $(address //Bob//stash))
# The policy's own count of three rounds at σ 0.05, δ 1e-5 (din_fl::privacy): 3/(2σ²) +
# √(2·3·ln 1e5)/σ.
EXPECTED=$(awk 'BEGIN { s = 0.05; printf "%.6f", 3 / (2 * s * s) + sqrt(2 * 3 * log(1e5)) / s }')

source "$DIN_ROOT/scripts/lib/summary.sh"
check "the chain recorded the ε of each of the three rounds, rising" \
	'[.epsilon[][0]] == [0, 1, 2] and .epsilon[0][1] < .epsilon[1][1] and .epsilon[1][1] < .epsilon[2][1]'
check "three rounds spend the policy's ε ($EXPECTED), to the thousandth rounded up" \
	".epsilon[2][1] >= $EXPECTED and .epsilon[2][1] - $EXPECTED < 0.003"
check "the unprivatized participant is slashed InvalidUpdate" \
	"[.slashes[] | select(.[0] == \"$UNPRIVATIZED\" and .[3] == \"InvalidUpdate\")] | length >= 1"
check "the unprivatized participant is not paid" ".payouts[\"$UNPRIVATIZED\"] == null"
for who in "${HONEST[@]}"; do
	check "privatized participant $who is paid" ".payouts[\"$who\"] != null and (.payouts[\"$who\"] | tonumber) > 0"
	check "privatized participant $who is not slashed" "[.slashes[] | select(.[0] == \"$who\")] | length == 0"
done
for who in "${EVALUATORS[@]}"; do
	check "evaluator $who agreed with its panel (not slashed)" "[.slashes[] | select(.[0] == \"$who\")] | length == 0"
done
check "three global models were fixed" '.global_accuracy | length == 3'
check "the noised model learns: the final global model is 30 points above the genesis model" \
	'.global_accuracy[-1][1] - .genesis_accuracy[0] > 0.3 * .global_accuracy[-1][2]'
check "the pool's accounting holds" '.accounting_holds == true'
echo "==> ε per round: $(jq -c '.epsilon' "$SUMMARY"); global accuracy: $(jq -c '[.global_accuracy[] | "\(.[1])/\(.[2])"]' "$SUMMARY")"
echo "==> differential privacy end to end: all checks passed"
