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
# task's settlement). The pool is in the dev chain's stablecoin (dUSD, asset 1): every
# payout, the worker's fees included, must arrive in dUSD (docs/assets.md). About 6
# minutes, 2 of them waiting until everyone is drawable.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$DIN_ROOT/scripts/lib/summary.sh"

SUMMARY="$(mktemp)" OUTPUT="$(mktemp)"
trap 'rm -f "$SUMMARY" "$OUTPUT"' EXIT
"$DIN_ROOT/scripts/fl-run.sh" --participants 4 --evaluators 2 --q 3 \
	--subgroup-size 2 --rounds 2 --scoring median --scoring-blocks 16 --worker --timeout 700 \
	--reward-asset 1 \
	--summary "$SUMMARY" | tee "$OUTPUT"
WORKER=$(sed -n "s/^==> the dev node's off-chain worker evaluates as //p" "$OUTPUT")
[ -n "$WORKER" ] || { echo "FAILED: fl-run.sh did not name the worker's account" >&2; exit 1; }
check "both rounds' global models were fixed" '.global_accuracy | length == 2'
check "nobody is slashed: the worker's every reveal matched the daemons'" '.slashes | length == 0'
check "the baseline, round 1's global model (round 2 trained from it) and every update are scored: a median of committed and revealed counts" \
	'(.scores | length) == 10 and .scores["global@0"] != null'
check "the pool's accounting holds" '.accounting_holds == true'
check "the worker's account is paid evaluator fees for its work" ".payouts[\"$WORKER\"] != null and (.payouts[\"$WORKER\"] | tonumber) > 0"
# Dev accounts start with 1,000,000 dUSD (10^12 in its 6-decimal unit) and spend none: each
# payee's dUSD is that plus its payout, the owner's that less the pool plus the refund.
check "the pool is in dUSD (6 decimals)" '.reward_asset == {"id": 1, "symbol": "dUSD", "decimals": 6}'
check "every participant and evaluator is paid in dUSD, to the unit" \
	'. as $r | ($r.payouts | length) > 0 and ([$r.payouts | to_entries[]
	  | ($r.pool_balances[.key][0] | tonumber) == 1000000000000 + (.value | tonumber)] | all)'
ALICE=5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY # the owner in fl-run.sh
check "the owner paid the pool in dUSD and has the refund back in it, nothing held" \
	". as \$r | \$r.settlement as \$s | \$r.pool_balances[\"$ALICE\"]
	  == [(1000000000000 - (\$s.pool | tonumber) + (\$s.refund | tonumber) | tostring), \"0\"]"
echo "==> off-chain worker end-to-end: all checks passed"
