#!/usr/bin/env bash
# End-to-end: a validator's off-chain worker as an evaluator, next to `din evaluator`
# daemons. A dev node with a `din!` key in its keystore and the owner store's HTTP gateway
# (--din-store-gateway); 4 participants in 2 subgroups; a pool of exactly Q = 3
# evaluators (2 daemons + the worker), so the worker sits on every panel and votes on
# the global model; one round, median scoring. Every vote needs agreement: a worker
# aggregate or global model that differed from the daemons' by a single bit would be a
# minority and slashed, a missing reveal too. So "nobody slashed" with the worker's work
# credited means its reveals equal the daemons' bit for bit (checked on chain through the
# task's settlement). About 5 minutes, 2 of them waiting until everyone is drawable.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$DIN_ROOT/scripts/lib/summary.sh"

SUMMARY="$(mktemp)" OUTPUT="$(mktemp)"
trap 'rm -f "$SUMMARY" "$OUTPUT"' EXIT
"$DIN_ROOT/scripts/fl-run.sh" --participants 4 --evaluators 2 --q 3 \
	--subgroup-size 2 --rounds 1 --scoring median --scoring-blocks 10 --worker --timeout 600 \
	--summary "$SUMMARY" | tee "$OUTPUT"
WORKER=$(sed -n "s/^==> the dev node's off-chain worker evaluates as //p" "$OUTPUT")
[ -n "$WORKER" ] || { echo "FAILED: fl-run.sh did not name the worker's account" >&2; exit 1; }
check "the round's global model was fixed" '.global_accuracy | length == 1'
check "nobody is slashed: the worker's every reveal matched the daemons'" '.slashes | length == 0'
check "the baseline and every update are scored: a median of committed and revealed counts" '.scores | length == 5'
check "the pool's accounting holds" '.accounting_holds == true'
check "the worker's account is paid evaluator fees for its work" ".payouts[\"$WORKER\"] != null and (.payouts[\"$WORKER\"] | tonumber) > 0"
echo "==> off-chain worker end-to-end: all checks passed"
