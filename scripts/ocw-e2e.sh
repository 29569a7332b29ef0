#!/usr/bin/env bash
# End-to-end: a validator's off-chain worker as an evaluator, next to `din evaluator`
# daemons. A dev node with a `din!` key in its keystore and the owner store's HTTP gateway
# (--din-store-gateway); 4 participants in 2 subgroups; a pool of exactly Q = 3
# evaluators (2 daemons + the worker), so the worker sits on every panel and votes on
# the global model; two rounds, median scoring (so that the worker also scores round 1's
# global model, which round 2 trained from). Every vote needs agreement: a worker
# aggregate or global model that differed from the daemons' by a single bit would be a
# minority and slashed, a missing reveal too. So "nobody slashed" with the worker's work
# credited means its reveals equal the daemons' bit for bit (checked on chain through the
# task's settlement). About 6 minutes, 2 of them waiting until everyone is drawable.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$DIN_ROOT/scripts/lib/summary.sh"

SUMMARY="$(mktemp)" OUTPUT="$(mktemp)"
trap 'rm -f "$SUMMARY" "$OUTPUT"' EXIT
"$DIN_ROOT/scripts/fl-run.sh" --participants 4 --evaluators 2 --q 3 \
	--subgroup-size 2 --rounds 2 --scoring median --scoring-blocks 16 --worker --timeout 700 \
	--summary "$SUMMARY" | tee "$OUTPUT"
WORKER=$(sed -n "s/^==> the dev node's off-chain worker evaluates as //p" "$OUTPUT")
[ -n "$WORKER" ] || { echo "FAILED: fl-run.sh did not name the worker's account" >&2; exit 1; }
check "both rounds' global models were fixed" '.global_accuracy | length == 2'
check "nobody is slashed: the worker's every reveal matched the daemons'" '.slashes | length == 0'
check "the baseline, round 1's global model (round 2 trained from it) and every update are scored: a median of committed and revealed counts" \
	'(.scores | length) == 10 and .scores["global@0"] != null'
check "the pool's accounting holds" '.accounting_holds == true'
check "the worker's account is paid evaluator fees for its work" ".payouts[\"$WORKER\"] != null and (.payouts[\"$WORKER\"] | tonumber) > 0"
echo "==> off-chain worker end-to-end: all checks passed"
