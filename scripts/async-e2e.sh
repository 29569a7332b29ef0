#!/usr/bin/env bash
# End-to-end test of an asynchronous task (part of scripts/test.sh): 8 participants in
# subgroups of 4, 4 evaluators, 10 rounds of FedAvg on the digits, median scoring, buffers of
# 7 updates (`din task create --buffer 7 --max-staleness 8`). The last participant is a
# straggler whose training takes 15 blocks (`din participant run --train-blocks 15`), five
# times a round of the others' (three blocks): no round waits for it, and it submits the
# update it trained from round N's model in round N + 5 or so (`submit_stale_update`).
# Training's deadline is 17 blocks, long enough for the straggler: a synchronous round would
# wait for it. Asserts on `din task watch --json-lines`' summary and events:
# - rounds do not wait for the straggler: the buffer closes Training, not its deadline
#   (three blocks a round on an idle machine);
# - the straggler's stale updates are on chain with the round they trained from, accepted
#   and scored (their panels rebased them onto their round's model, `din_fl::duty::rebase`);
# - the straggler is paid (for its accuracy over the model it trained from), and nobody is
#   slashed;
# - the final model reaches the synchronous demo's bar: 90% on the 360-sample test split;
# - the pool's accounting holds.
# About 6 minutes, 2 of them waiting until everyone is drawable (an epoch after joining).
set -euo pipefail
source "$(dirname "$0")/env.sh"

# Training's deadline: long enough for the straggler (15 blocks), so that a synchronous
# round would wait for it; an asynchronous one closes at its buffer long before.
TRAINING_DEADLINE=17
SUMMARY="$(mktemp)" EVENTS="$(mktemp)"
trap 'rm -f "$SUMMARY" "$EVENTS"' EXIT
"$DIN_ROOT/scripts/fl-run.sh" --participants 8 --evaluators 4 --subgroup-size 4 --q 2 \
	--rounds 10 --scoring median --scoring-blocks 30 --buffer 7,8 --straggler 15 \
	--training-blocks "$TRAINING_DEADLINE" \
	--timeout 900 --summary "$SUMMARY" --events "$EVENTS"

DIN="$CARGO_TARGET_DIR/debug/din"
STRAGGLER=$("$DIN" key inspect --suri //Charlie//stash) # participant 8 in fl-run.sh's order

source "$DIN_ROOT/scripts/lib/summary.sh"
stale=$(jq -sc --arg who "$STRAGGLER" \
	'[.[] | select(.event == "StaleUpdateSubmitted" and .who == $who) | [.round, .trained_from]]' "$EVENTS")
echo "==> the straggler's stale updates [round, trained from]: $stale"
jq -e 'length >= 1 and all(.[]; .[1] < .[0])' <<<"$stale" >/dev/null ||
	{ echo "FAILED: the straggler submitted no stale update" >&2; exit 1; }
echo "ok: the straggler's updates landed rounds after the model they trained from"
for round in $(jq -r '.[][0]' <<<"$stale"); do
	check "the straggler's round-$round update was accepted and scored" \
		".scores[\"$STRAGGLER@$round\"] != null"
done
check "the straggler is paid" ".payouts[\"$STRAGGLER\"] != null and (.payouts[\"$STRAGGLER\"] | tonumber) > 0"
check "nobody is slashed" '.slashes | length == 0'
check "every round trained fixed a global model" '(.global_accuracy | length) == 10'
check "the final model reaches the synchronous demo's bar, 90%" \
	'.global_accuracy[-1][1] >= 0.9 * .global_accuracy[-1][2]'
check "the pool's accounting holds" '.accounting_holds == true'
blocks=$(jq -c '[.round_starts[][1], .scoring_started] | [range(1; length) as $i | .[$i] - .[$i - 1]]' "$SUMMARY")
echo "==> blocks per round: $blocks"
# Each round's Training closed at its buffer, not at the deadline a synchronous round would
# have waited for: three blocks a round on an idle machine (an epoch-start block takes no
# transaction: one more where it falls), a few more when the daemons are slow under load
# (the test command's other jobs), never the deadline. The last round also votes on its
# global model (two more blocks).
jq -e --argjson deadline "$TRAINING_DEADLINE" '.[:-1] | all(.[]; . < $deadline)' <<<"$blocks" >/dev/null ||
	{ echo "FAILED: a round waited for Training's deadline ($TRAINING_DEADLINE blocks), the straggler's time: $blocks blocks" >&2; exit 1; }
echo "ok: no round waited for the straggler (Training's deadline: $TRAINING_DEADLINE blocks)"
echo "==> final accuracy $(jq -r '.global_accuracy[-1] | "\(.[1])/\(.[2])"' "$SUMMARY")"
echo "==> asynchronous task end to end: all checks passed"
