#!/usr/bin/env bash
# End-to-end test of the protocol against cheap adversaries (part of scripts/test.sh): one
# task of one round run by real processes (scripts/fl-run.sh), in which every role but
# two honest evaluators and three honest participants cheats:
# - the owner commits to its test set and its key but seals another set under that key,
#   so the released key opens nothing that matches (--wrong-test-set);
# - a participant trains nothing and submits another's update once it is on chain
#   (--copier);
# - a participant claims u64::MAX samples to outweigh everyone (--inflater);
# - an evaluator commits another panel member's hash instead of aggregating
#   (--copy-commit).
# Asserts on `din task watch --json`'s summary that the last round's evaluators dispute
# the test set and the task settles as a withheld key (the participants' part goes to the
# honest participants, in equal shares, not back to the owner); the copier is slashed for
# InvalidUpdate and paid nothing; the inflater is paid nothing; the copying evaluator is
# slashed for MissedReveal and earns less than an honest evaluator; no honest party is
# slashed; and the pool's accounting holds. About 5 minutes, 2 of them waiting until everyone is drawable.
set -euo pipefail
source "$(dirname "$0")/env.sh"

SUMMARY="$(mktemp)"
trap 'rm -f "$SUMMARY"' EXIT
"$DIN_ROOT/scripts/fl-run.sh" --participants 5 --evaluators 3 --subgroup-size 5 --q 3 \
	--rounds 1 --scoring median --training-blocks 10 --scoring-blocks 10 \
	--copier --inflater --copy-commit --wrong-test-set --timeout 600 --summary "$SUMMARY"

DIN="$CARGO_TARGET_DIR/debug/din"
address() { "$DIN" key inspect --suri "$1"; }
# fl-run.sh's account order: participants //Bob //Charlie //Dave //Eve //Ferdie (the last
# two attack), evaluators //Alice//stash //Bob//stash //Charlie//stash (the last attacks).
HONEST=($(address //Bob) $(address //Charlie) $(address //Dave))
COPIER=$(address //Eve)
INFLATER=$(address //Ferdie)
HONEST_EVALUATORS=($(address //Alice//stash) $(address //Bob//stash))
COPYING_EVALUATOR=$(address //Charlie//stash)

source "$DIN_ROOT/scripts/lib/summary.sh"
check "the last round's evaluators dispute the sealed test set" '.test_set_disputed == true'
check "the task is settled as a withheld key (no scores)" '.settlement.scored == false'
check "the participants' part is paid out, the owner gets back less than 0.1% of the pool" \
	'(.settlement.refund | tonumber) * 1000 < (.settlement.pool | tonumber)'
for who in "${HONEST[@]}"; do
	check "honest participant $who is paid an equal share and not slashed" \
		"(.payouts[\"$who\"] | tonumber) > 0 and .payouts[\"$who\"] == .payouts[\"${HONEST[0]}\"] and ([.slashes[] | select(.[0] == \"$who\")] | length == 0)"
done
check "the copier is slashed for InvalidUpdate and paid nothing" \
	"([.slashes[] | select(.[0] == \"$COPIER\" and .[3] == \"InvalidUpdate\")] | length == 1) and .payouts[\"$COPIER\"] == null"
check "the sample inflater is paid nothing" ".payouts[\"$INFLATER\"] == null"
for who in "${HONEST_EVALUATORS[@]}"; do
	check "honest evaluator $who is paid and not slashed" \
		"(.payouts[\"$who\"] | tonumber) > 0 and ([.slashes[] | select(.[0] == \"$who\")] | length == 0)"
	check "the copying evaluator earns less than honest evaluator $who" \
		"(.payouts[\"$COPYING_EVALUATOR\"] // \"0\" | tonumber) < (.payouts[\"$who\"] | tonumber)"
done
check "the copying evaluator is slashed for MissedReveal" \
	"[.slashes[] | select(.[0] == \"$COPYING_EVALUATOR\" and .[3] == \"MissedReveal\")] | length >= 1"
check "the pool's accounting holds" '.accounting_holds == true'
echo "==> adversaries: all checks passed"
