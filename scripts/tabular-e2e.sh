#!/usr/bin/env bash
# A tabular task scored by Groth16 proofs, end to end (issue #32; part of scripts/test.sh):
# participants' own CSV files of 6 features on scales from 1e-3 to 1e3 (a Gaussian cluster
# per class, scripts/bench/tabular_data.py --generator gaussian: standard library only),
# a task whose owner standardizes the inputs (`din task create --standardize`, clip ±5),
# so the committed test set holds signed features (20 bits) that the circuit range-checks,
# commits and proves on; 4 participants, 3 evaluators, 2 rounds, FedAvg, zk scoring,
# through real processes (scripts/fl-run.sh --data-dir). Checks: the owner's test set
# opened and was not disputed, every update and round 1's global model got a proven score,
# every participant is paid, the final model reaches 80% on the test rows, the pool's
# accounting holds. 16 test rows keep its proofs short: they run beside fl-e2e's in the test
# command. About 7 minutes.
set -euo pipefail
source "$(dirname "$0")/env.sh"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 "$DIN_ROOT/scripts/bench/tabular_data.py" --generator gaussian --out "$WORK/data" \
	--seed 3 --participants 4 --per-participant 150 --test 16 --features 6 >"$WORK/data.json"
SUMMARY="$WORK/summary.json"
FINAL_JSON="$WORK/final.json" "$DIN_ROOT/scripts/fl-run.sh" --participants 4 --evaluators 3 \
	--subgroup-size 4 --q 3 --rounds 2 --aggregation fedavg --scoring zk --test-samples 16 \
	--data-dir "$WORK/data" --standardize --training-blocks 8 --phase-blocks 6 --timeout 900 \
	--summary "$SUMMARY" >"$WORK/run.log" 2>&1 ||
	{ echo "FAILED: the run" >&2; tail -60 "$WORK/run.log" >&2; exit 1; }
grep "^==>" "$WORK/run.log"

source "$DIN_ROOT/scripts/lib/summary.sh"
DIN="$CARGO_TARGET_DIR/debug/din"
check "the released key opened the committed signed-feature test set: no dispute" \
	'.test_set_disputed == false'
check "two global models were fixed" '.global_accuracy | length == 2'
check "round 1's global model has a proven score" '.scores["global@0"] != null'
# fl-run.sh's participants: //Bob //Charlie //Dave //Eve.
for suri in //Bob //Charlie //Dave //Eve; do
	who=$("$DIN" key inspect --suri "$suri")
	check "participant $who has proven scores and is paid" \
		"([.scores | keys[] | select(startswith(\"$who\"))] | length) >= 1 and (.payouts[\"$who\"] // \"0\" | tonumber) > 0"
done
check "the pool's accounting holds" '.accounting_holds == true'
jq -e '.accuracy >= 0.8' "$WORK/final.json" >/dev/null ||
	{ echo "FAILED: the final model scores $(jq .accuracy "$WORK/final.json") on the test rows, under 0.8" >&2; exit 1; }
echo "ok: the final model scores $(jq -r '"\(.correct)/\(.samples)"' "$WORK/final.json") test rows"
