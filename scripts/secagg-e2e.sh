#!/usr/bin/env bash
# End-to-end test of a secure-aggregation task (part of scripts/test.sh): 4 participants in
# one subgroup, 3 evaluators, 3 rounds, `secure-fedavg`, median scores. Every participant
# registers a share key, and each round advertises a round key with Shamir shares sealed
# for the others, uploads its update masked (pairwise and self masks that cancel only in
# the subgroup's sum) and hands over its shares; the evaluators unmask the sum from the
# uploads and the chain's record of the hand-overs (din_secagg). The last participant is
# killed (SIGKILL) right after uploading its first masked update and never comes back: the
# subgroup still aggregates round 1 from the other three hand-overs (threshold 3 of 4), and
# the next rounds without it. Asserts on `din task watch --json`'s summary and the final
# evaluation:
# - every round's subgroup aggregate is accepted by its panel, and three global models are
#   fixed; no evaluator is slashed (they all unmasked the same sum);
# - nobody is slashed, the three surviving participants are paid, and so is the killed one
#   (its masked update is in round 1's aggregate, which is what a member is scored by);
# - the final model reaches 90% on the digits test split;
# - the pool's accounting holds.
# About 6 minutes.
set -euo pipefail
source "$(dirname "$0")/env.sh"

SUMMARY="$(mktemp)" FINAL="$(mktemp)"
trap 'rm -f "$SUMMARY" "$FINAL"' EXIT
FINAL_JSON="$FINAL" "$DIN_ROOT/scripts/fl-run.sh" --participants 4 --evaluators 3 \
	--subgroup-size 4 --q 3 --rounds 3 --aggregation secure-fedavg --scoring median \
	--training-blocks 12 --drop-after-upload --timeout 900 --summary "$SUMMARY"

DIN="$CARGO_TARGET_DIR/debug/din"
address() { "$DIN" key inspect --suri "$1"; }
KILLED=$(address //Eve) # participant 4
SURVIVORS=($(address //Bob) $(address //Charlie) $(address //Dave))
EVALUATORS=($(address //Ferdie) $(address //Alice//stash) $(address //Bob//stash))

source "$DIN_ROOT/scripts/lib/summary.sh"
check "three global models were fixed, one per round" '.global_accuracy | length == 3'
check "each round's subgroup aggregate was accepted: round 1 over all four masked updates, then the three survivors', none invalid" \
	'[.subgroups[] | [.[0], .[2], .[3]]] == [[0, 4, 0], [1, 3, 0], [2, 3, 0]]'
check "nobody was slashed" '.slashes | length == 0'
for who in "${SURVIVORS[@]}"; do
	check "surviving participant $who is paid" ".payouts[\"$who\"] != null and (.payouts[\"$who\"] | tonumber) > 0"
done
check "the participant killed after uploading is paid for its round-1 share of the aggregate" \
	".payouts[\"$KILLED\"] != null and (.payouts[\"$KILLED\"] | tonumber) > 0"
for who in "${EVALUATORS[@]}"; do
	check "evaluator $who is paid for its work" ".payouts[\"$who\"] != null"
done
check "the pool's accounting holds" '.accounting_holds == true'
accuracy=$(jq -r '.accuracy' "$FINAL")
if awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.9) }'; then
	echo "ok: the final model reaches $accuracy on the digits test split (bar 0.9)"
else
	echo "FAILED: the final model reaches $accuracy on the digits test split, below 0.9" >&2
	cat "$FINAL" >&2
	exit 1
fi
echo "==> global accuracy per round: $(jq -c '[.global_accuracy[] | "\(.[1])/\(.[2])"]' "$SUMMARY")"
echo "==> secure aggregation end to end: all checks passed"
