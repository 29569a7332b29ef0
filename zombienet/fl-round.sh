#!/usr/bin/env bash
# Federated-learning rounds across the network's validators (the last step of
# 0002-federated-round.zndsl and of 0004-runtime-upgrade.zndsl, started by script.js with
# every node's ws URL): the owner and the watcher use the first node; participants and
# evaluators are spread over all of them, so every update, vote and score travels between
# nodes before it is finalized. Checks the watch summary, then that every node reports the
# same finished task; with --upgrade-runtime, that the council enacted the upgrade while
# the task ran (scripts/fl-run.sh), that every node runs the new runtime, and that every
# node's finality continues after it.
#   zombienet/fl-round.sh WS_URL[,WS_URL…] [--rounds R] [--upgrade-runtime WASM]
set -euo pipefail
source "$DIN_ROOT/scripts/env.sh"
URLS="$1"
shift
ROUNDS=1 UPGRADE=()
while [ $# -gt 0 ]; do
	case "$1" in
		--rounds) ROUNDS="$2"; shift 2 ;;
		--upgrade-runtime) UPGRADE=(--upgrade-runtime "$2"); shift 2 ;;
		*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
SUMMARY="$(mktemp)"
trap 'rm -f "$SUMMARY"' EXIT
IFS=, read -r -a nodes <<<"$URLS"
DIN="$CARGO_TARGET_DIR/debug/din"
rpc() { # ws URL, method[, params as JSON] → the answer's result, as JSON (a node's RPC port
	# serves HTTP too)
	curl -sf -m 5 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "http${1#ws}" |
		jq -c .result
}
spec_version() { rpc "$1" state_getRuntimeVersion | jq .specVersion; }
SPEC_BEFORE=$(spec_version "${nodes[0]}")

# Four participants in one subgroup, three evaluators, median scoring (no Groth16 setup:
# four nodes and the client share this machine's cores). Training and the vote phases
# time out after 6 blocks, not 3: a transaction crosses nodes before a block takes it,
# an epoch's first block takes none (pallet-session charges it whole; an epoch is 20
# slots), and under CI's load an honest evaluator once missed a 3-block
# commit phase (and was slashed) and an honest participant a 3-block Training (and was
# paid nothing). Every phase still ends as soon as its expected submissions are in.
"$DIN_ROOT/scripts/fl-run.sh" --url "$URLS" --participants 4 --evaluators 3 --rounds "$ROUNDS" \
	--training-blocks 6 --phase-blocks 6 --scoring median --scoring-blocks 10 --timeout 600 \
	--summary "$SUMMARY" "${UPGRADE[@]}"

source "$DIN_ROOT/scripts/lib/summary.sh"
check "every round's global model was fixed" ".global_accuracy | length == $ROUNDS"
check "the last global model beats the genesis model by far" '.genesis_accuracy[0] + 100 < .global_accuracy[-1][1]'
for suri in //Bob //Charlie //Dave //Eve; do # fl-run.sh's four participants
	who=$("$DIN" key inspect --suri "$suri")
	check "participant $who is paid" ".payouts[\"$who\"] != null and (.payouts[\"$who\"] | tonumber) > 0"
done
check "nobody is slashed" '.slashes | length == 0'
check "the pool's accounting holds" '.accounting_holds == true'

# Every node serves the same finished task from its own finalized state; a node whose
# finality lags gets a few blocks to catch up.
TASK=$(jq -r .task "$SUMMARY")
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

if [ ${#UPGRADE[@]} -gt 0 ]; then
	finalized_number() {
		rpc "$1" chain_getHeader "[$(rpc "$1" chain_getFinalizedHead)]" | jq -r .number | xargs printf '%d'
	}
	for url in "${nodes[@]}"; do
		got=$(spec_version "$url")
		[ "$got" = $((SPEC_BEFORE + 1)) ] ||
			{ echo "FAILED: $url runs spec_version $got, not $((SPEC_BEFORE + 1))" >&2; exit 1; }
		echo "ok: $url runs the upgraded runtime (spec_version $SPEC_BEFORE -> $got)"
	done
	# Finality after the upgrade: every node's finalized head moves on from where it stands.
	for url in "${nodes[@]}"; do
		from=$(finalized_number "$url")
		deadline=$((SECONDS + 60))
		until [ "$(finalized_number "$url")" -ge $((from + 3)) ]; do
			[ "$SECONDS" -lt "$deadline" ] ||
				{ echo "FAILED: $url finalized nothing past block $from within 60 s" >&2; exit 1; }
			sleep 2
		done
		echo "ok: $url finalizes past block $((from + 3)) after the upgrade"
	done
fi
echo "==> federated rounds across ${#nodes[@]} validators: all checks passed"
