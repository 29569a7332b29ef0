#!/usr/bin/env bash
# End-to-end test of federated training on a running chain (part of scripts/test.sh):
# 4 participants in one subgroup, 3 evaluators, 2 rounds, median aggregation; the last
# participant sends sign-flipped ×10 updates, the last evaluator reveals a wrong
# aggregate, and one participant and one evaluator are SIGKILLed mid-task and restarted
# on their state; the owner extends the task by two rounds (`din task extend`, with the
# smallest top-up the chain takes) and ends its training in round 2 (`din task end`; after
# round 2, or round 3 where the end lands only then: a round is three blocks).
# Asserts on `din task watch --json-lines`' summary and events:
# - the global model's accuracy rises from the genesis model's (chance) by far in round 1,
#   holds in round 2 and ends ≥ 80% on the 360-sample test split, despite the poisoner;
# - the lying evaluator is slashed for MinorityAggregate, the poisoner for BelowBaseline;
# - round 1's global model, which round 2 trained from, is scored (round 2's updates are
#   paid for what they add to it);
# - every honest participant is paid and nobody honest is slashed;
# - the pool's accounting holds (pool = participants + evaluators + burned + refund);
# - the extension and the end of training are on chain, and phases whose expected
#   submissions were all in ended early (the blocks per round are printed).
# The dev node runs the runtime built with `try-runtime` (scripts/lib/runtime-variant.sh,
# a minute or two warm), and every migration's pre/post checks and every pallet's
# try_state must pass over this task's state in round 1 and after it (fl-run.sh
# --try-runtime: what the try-runtime CLI runs against a live chain).
# The scoring window (60 blocks, then Rewarding's 15 for late proofs) leaves room for
# Groth16 proofs on a loaded 2-core machine: each takes 18-36 s there, and an evaluator
# proves up to three in a row; with 30 blocks a CI run that proved the tabular task's
# scores beside this one left three updates unproven (2026-12-06). About 6 minutes, 2 of them waiting until everyone is drawable (an epoch after joining).
set -euo pipefail
source "$(dirname "$0")/env.sh"

SUMMARY="$(mktemp)" EVENTS="$(mktemp)" FINAL="$(mktemp)" OVERRIDES="$(mktemp -d)"
trap 'rm -rf "$SUMMARY" "$EVENTS" "$FINAL" "$OVERRIDES"' EXIT
source "$DIN_ROOT/scripts/lib/runtime-variant.sh"
with_heartbeat "cargo build the try-runtime runtime" \
	build_runtime_variant "$CARGO_TARGET_DIR/debug/wbuild/din-runtime" try-runtime
cp "$RUNTIME_VARIANT" "$OVERRIDES/"
FINAL_JSON="$FINAL" "$DIN_ROOT/scripts/fl-run.sh" --participants 4 --evaluators 3 --rounds 2 --aggregation median \
	--scoring-blocks 60 --poisoner --liar --kill-restart --owner-control --timeout 900 --summary "$SUMMARY" \
	--events "$EVENTS" --try-runtime "$OVERRIDES"

DIN="$CARGO_TARGET_DIR/debug/din"
address() { "$DIN" key inspect --suri "$1"; }
POISONER=$(address //Eve)   # participant 4
LIAR=$(address //Bob//stash) # evaluator 3
HONEST=($(address //Bob) $(address //Charlie) $(address //Dave))
HONEST_EVALUATORS=($(address //Ferdie) $(address //Alice//stash)) # //Ferdie is killed and restarted
# fl-run.sh's account order: participants //Bob //Charlie //Dave //Eve, evaluators //Ferdie
# //Alice//stash //Bob//stash.

source "$DIN_ROOT/scripts/lib/summary.sh"
check "one global model was fixed per round trained" '(.global_accuracy | length) == .training_ended_after + 1'
check "accuracy rises from the genesis model to round 1's global model" '.genesis_accuracy[0] + 100 < .global_accuracy[0][1]'
check "round 2 keeps it (within 2 points) and the final model reaches 80%" \
	'.global_accuracy[1][1] + 0.02 * .global_accuracy[1][2] >= .global_accuracy[0][1] and .global_accuracy[1][1] >= 0.8 * .global_accuracy[1][2]'
check "round 1's global model is scored: round 2's contributions are measured against it" '.scores["global@0"] != null'
check "the lying evaluator is slashed for MinorityAggregate" \
	"[.slashes[] | select(.[0] == \"$LIAR\" and .[3] == \"MinorityAggregate\")] | length >= 1"
check "the poisoner is slashed for BelowBaseline" \
	"[.slashes[] | select(.[0] == \"$POISONER\" and .[3] == \"BelowBaseline\")] | length >= 1"
for who in "${HONEST[@]}"; do
	check "honest participant $who is paid" ".payouts[\"$who\"] != null and (.payouts[\"$who\"] | tonumber) > 0"
	check "honest participant $who is not slashed" "[.slashes[] | select(.[0] == \"$who\")] | length == 0"
done
for who in "${HONEST_EVALUATORS[@]}"; do
	check "honest evaluator $who is paid and not slashed (no missed reveal after the restart)" \
		"(.payouts[\"$who\"] | tonumber) > 0 and ([.slashes[] | select(.[0] == \"$who\")] | length == 0)"
done
check "the pool's accounting holds" '.accounting_holds == true'
check "a phase whose expected submissions were all in ended early" '.closed_early | length >= 1'
check "the owner extended the task to 4 rounds with a top-up of the whole pool" '.extended == [[4, "10000000000000000"]]'
check "the owner ended training after round 2 or 3" '.training_ended_after == 1 or .training_ended_after == 2'
# The event stream (`din task watch --json-lines`, what a dashboard reads) says the same.
jq -se --slurpfile summary "$SUMMARY" '[.[] | select(.event == "RoundStarted")] | length == $summary[0].training_ended_after + 1' \
	"$EVENTS" >/dev/null || { echo "FAILED: the event stream does not start each trained round once" >&2; exit 1; }
jq -se --slurpfile summary "$SUMMARY" '[.[] | select(.event | test("Rewarded$")) | {(.who): .amount}] | add == $summary[0].payouts' \
	"$EVENTS" >/dev/null || { echo "FAILED: the event stream's payouts differ from the summary's" >&2; exit 1; }
echo "ok: the event stream starts each round once and pays what the summary says"
# What scripts/demo.sh reads for its last line: the final model, evaluated as JSON.
jq -e --slurpfile summary "$SUMMARY" '.samples == 360 and .correct == $summary[0].global_accuracy[-1][1]' \
	"$FINAL" >/dev/null || { echo "FAILED: FINAL_JSON is not the final model's evaluation: $(cat "$FINAL")" >&2; exit 1; }
echo "ok: FINAL_JSON holds the final model's evaluation ($(jq -r '"\(.correct)/\(.samples)"' "$FINAL"))"
echo "==> blocks per round: $(jq -c '[.round_starts[][1], .scoring_started] | [range(1; length) as $i | .[$i] - .[$i - 1]]' "$SUMMARY"); phases closed early: $(jq -c '.closed_early' "$SUMMARY")"
echo "==> end-to-end federated training: all checks passed"
