#!/usr/bin/env bash
# One federated-learning round across the network's validators (the last step of
# 0002-federated-round.zndsl, started by fl-round.js with every node's ws URL):
# the owner and the watcher use the first node; participants and evaluators are spread
# over all of them, so every update, vote and score travels between nodes before it is
# finalized. Checks the watch summary, then that every node reports the same finished task.
#   zombienet/fl-round.sh WS_URL[,WS_URL…]
set -euo pipefail
source "$DIN_ROOT/scripts/env.sh"
URLS="$1"
SUMMARY="$(mktemp)"
trap 'rm -f "$SUMMARY"' EXIT

# Four participants in one subgroup, three evaluators, median scoring (no Groth16 setup:
# four nodes and the client share this machine's cores). Training and the vote phases
# time out after 6 blocks, not 3: a transaction crosses nodes before a block takes it,
# an epoch's first block takes none (pallet-session charges it whole; an epoch is 20
# slots), and under CI's load an honest evaluator once missed a 3-block
# commit phase (and was slashed) and an honest participant a 3-block Training (and was
# paid nothing). Every phase still ends as soon as its expected submissions are in.
"$DIN_ROOT/scripts/fl-run.sh" --url "$URLS" --participants 4 --evaluators 3 --rounds 1 \
	--training-blocks 6 --phase-blocks 6 --scoring median --scoring-blocks 10 --timeout 600 \
	--summary "$SUMMARY"

DIN="$CARGO_TARGET_DIR/debug/din"
source "$DIN_ROOT/scripts/lib/summary.sh"
check "the round's global model was fixed" '.global_accuracy | length == 1'
check "the global model beats the genesis model by far" '.genesis_accuracy[0] + 100 < .global_accuracy[0][1]'
for suri in //Bob //Charlie //Dave //Eve; do # fl-run.sh's four participants
	who=$("$DIN" key inspect --suri "$suri")
	check "participant $who is paid" ".payouts[\"$who\"] != null and (.payouts[\"$who\"] | tonumber) > 0"
done
check "nobody is slashed" '.slashes | length == 0'
check "the pool's accounting holds" '.accounting_holds == true'

# Every node serves the same finished task from its own finalized state; a node whose
# finality lags gets a few blocks to catch up.
TASK=$(jq -r .task "$SUMMARY")
IFS=, read -r -a nodes <<<"$URLS"
outcome() { "$DIN" task status --url "$1" --task "$TASK" --json | jq -c '{phase, progress, settlement}'; }
expected=$(outcome "${nodes[0]}")
for url in "${nodes[@]:1}"; do
	for attempt in $(seq 10); do
		got=$(outcome "$url")
		[ "$got" = "$expected" ] && break
		[ "$attempt" = 10 ] && { echo "FAILED: $url reports $got, ${nodes[0]} reports $expected" >&2; exit 1; }
		sleep 3
	done
	echo "ok: $url reports the same finished task"
done
echo "==> federated round across ${#nodes[@]} validators: all checks passed"
