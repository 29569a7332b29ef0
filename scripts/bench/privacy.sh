#!/usr/bin/env bash
# Accuracy against privacy: the same federated task run through real processes
# (scripts/fl-run.sh: a dev chain, the owner, participant and evaluator daemons) without a
# privacy policy and under each policy given, one after the other. Prints, per run, the ε
# its rounds spend (the chain's `PrivacySpent`), each round's global model accuracy and
# the final model's on the digits test split; with --write the table replaces the
# generated part of docs/privacy.md.
#
#   scripts/bench/privacy.sh                          # no policy, then σ 0.05, 0.2 and 1 (clip 1, budget 1000)
#   scripts/bench/privacy.sh --policies 1,0.05,1000   # CLIP,SIGMA,EPSILON[ …]
#   scripts/bench/privacy.sh --write                  # and write docs/privacy.md
#
# Each run: 4 participants in one subgroup, 3 evaluators, 3 rounds, FedAvg, median scores,
# the softmax model; about 5 minutes on 2 cores. Assumes the workspace is built.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$DIN_ROOT"

POLICIES=(1,0.05,1000 1,0.2,1000 1,1,1000) WRITE=0 ROUNDS=3
while [ $# -gt 0 ]; do
	case "$1" in
		--policies) read -r -a POLICIES <<<"${2//;/ }"; shift 2 ;;
		--write) WRITE=1; shift ;;
		*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
run() { # name [fl-run.sh flags…]
	local name=$1
	shift
	echo "==> $name"
	FINAL_JSON="$OUT/$name.final" with_heartbeat "task ($name)" "$DIN_ROOT/scripts/fl-run.sh" \
		--participants 4 --evaluators 3 --subgroup-size 4 --q 3 --rounds "$ROUNDS" \
		--aggregation fedavg --scoring median --timeout 1200 --summary "$OUT/$name.json" "$@" \
		>"$OUT/$name.log" 2>&1 || { tail -40 "$OUT/$name.log" >&2; exit 1; }
}
run none
for policy in "${POLICIES[@]}"; do
	run "dp-$policy" --dp "$policy"
done

row() { # name label
	local summary="$OUT/$1.json" final="$OUT/$1.final"
	local epsilon rounds accuracy
	epsilon=$(jq -r 'if (.epsilon | length) > 0 then (.epsilon[-1][1] | tostring) else "-" end' "$summary")
	rounds=$(jq -r '[.global_accuracy[] | "\(100 * .[1] / .[2] | . * 10 | round / 10)%"] | join(" ")' "$summary")
	accuracy=$(jq -r '"\(100 * .correct / .samples | . * 10 | round / 10)% (\(.correct)/\(.samples))"' "$final")
	echo "| $2 | $epsilon | $rounds | $accuracy |"
}
{
	echo "| policy (clip C, noise multiplier σ, δ 1e-5) | ε after $ROUNDS rounds | each round's global model | final model (digits test split) |"
	echo "|---|---:|---|---:|"
	row none "none"
	for policy in "${POLICIES[@]}"; do
		IFS=, read -r clip sigma _ <<<"$policy"
		row "dp-$policy" "C $clip, σ $sigma"
	done
} >"$OUT/table.md"
cat "$OUT/table.md"

if [ "$WRITE" = 1 ]; then
	DOC="$DIN_ROOT/docs/privacy.md"
	{
		sed '/<!-- privacy-table:begin -->/q' "$DOC"
		echo
		echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores of $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1) by \`scripts/bench/privacy.sh --write$( [ "${POLICIES[*]}" = "1,0.05,1000 1,0.2,1000 1,1,1000" ] || echo " --policies ${POLICIES[*]}")\`:"
		echo
		cat "$OUT/table.md"
		echo
		sed -n '/<!-- privacy-table:end -->/,$p' "$DOC"
	} >"$OUT/doc.md"
	mv "$OUT/doc.md" "$DOC"
	echo "==> wrote $DOC"
fi
