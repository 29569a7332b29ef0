#!/usr/bin/env bash
# DIN and Flower side by side on one federated task, in one run.
#
# Both train the same model (mlp:64 = 64 → 64 → 10 with ReLU, the same initial weights) on
# the same 10 IID shares of the shipped digits (`--data digits:k/10`), with a DIN
# participant's local training (5 epochs, batch 16, SGD lr 0.05 momentum 0.9, the same
# shuffles), FedAvg, and the global model tested on the same 360-sample split after every
# round:
# - Flower: its Ray-backed simulation (`flwr[simulation]`, pinned in
#   scripts/bench/lib-flower.sh, installed into .venv-flower on first use), the clients in
#   one process tree, no network and no votes (scripts/bench/flower_digits.py);
# - DIN: a dev chain (one node, 3 s blocks) with 10 participant daemons and 3 staked
#   evaluators, every update and model through the libp2p store, every subgroup aggregate
#   and global model commit-revealed on chain (scripts/fl-run.sh; median-settled scores,
#   since scoring runs after the rounds and does not change them).
# Prints for both: rounds to the target accuracy, final accuracy and seconds per round,
# and DIN's blocks per round (from its `RoundStarted` events), then whether #27's bars
# are met (blocks per round ≤ 3; seconds per round ≤ 3 × the dev chain's 3 s block + 2 ×
# Flower's; rounds to the target ≤ Flower's). DIN's steady state is the median over the
# rounds, from one round's start to the next's (wall-clock: the timestamps of the blocks
# that started them, as `din task watch` records them); the mean and the end-to-end figure (from the first round's start to the
# last global model's fixing, which the last round votes on in two blocks of its own)
# are printed beside it: a dev chain's epoch-start block (one in 20) carries no
# transaction, because pallet-session charges a whole block for its rotation, and makes
# the round it falls in a block longer. DIN's accuracy is the integer reference its
# circuit proves (`din_fl::count_correct`), Flower's the float forward pass; they agree to
# a sample or two.
#
#   scripts/bench/vs-flower.sh [--rounds N] [--target 0.95] [--json OUT] [--write]
#
# --write also replaces the generated comparison in docs/benchmarks.md.
#
# Assumes the workspace is built (scripts/test.sh or din_build); about 6 + N × 0.6 minutes
# (12 for 10 rounds), nearly all of it the DIN side.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/scripts/env.sh"
source "$ROOT/scripts/bench/lib-flower.sh"
source "$ROOT/scripts/lib/generated-section.sh"

ROUNDS=10 TARGET=0.95 JSON="" WRITE=0
while [ $# -gt 0 ]; do
	case "$1" in
		--rounds) ROUNDS="$2"; shift 2 ;;
		--target) TARGET="$2"; shift 2 ;;
		--json) JSON="$2"; shift 2 ;;
		--write) WRITE=1; shift ;;
		*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
CLIENTS=10
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

ensure_flower_venv
echo "==> Flower $FLOWER_VERSION simulation: $CLIENTS clients, $ROUNDS rounds" >&2
"$FLOWER_PYTHON" "$ROOT/scripts/bench/flower_digits.py" --rounds "$ROUNDS" \
	--clients "$CLIENTS" --target "$TARGET" --json "$WORK/flower.json" >"$WORK/flower.log" 2>&1 ||
	{ tail -20 "$WORK/flower.log" >&2; exit 1; }

echo "==> DIN dev chain: $CLIENTS participants, $ROUNDS rounds" >&2
"$ROOT/scripts/fl-run.sh" --participants "$CLIENTS" --evaluators 3 --subgroup-size 5 --q 3 \
	--rounds "$ROUNDS" --model mlp:64 --scoring median --summary "$WORK/din.json" \
	--timeout $((900 + 60 * ROUNDS)) >&2

# Both sides as one record: accuracy per round, rounds to the target (1-based), final
# accuracy, seconds per round; DIN adds its blocks per round.
jq -n --slurpfile flower "$WORK/flower.json" --slurpfile din "$WORK/din.json" \
	--argjson target "$TARGET" '
	def reach($acc): [$acc | to_entries[] | select(.value >= $target) | .key + 1] | first;
	def mean: if length == 0 then null else add / length end;
	def median: if length == 0 then null else sort | .[(length - 1) / 2 | floor] end;
	($flower[0]) as $f | ($din[0]) as $d |
	($d.global_accuracy | sort_by(.[0]) | map(.[1] / .[2])) as $dacc |
	($d.round_started_at | sort_by(.[0]) | map([.[0], .[1] / 1000])) as $starts |
	($d.global_fixed_at | sort_by(.[0]) | map([.[0], .[1] / 1000])) as $fixed |
	($d.round_starts | sort_by(.[0]) | map(.[1])) as $blocks |
	{
		target: $target,
		flower: {
			version: $f.flwr, rounds: $f.rounds, accuracy_per_round: $f.accuracy_per_round,
			rounds_to_target: reach($f.accuracy_per_round), final_accuracy: $f.final_accuracy,
			seconds_per_round: $f.seconds_per_round
		},
		din: {
			rounds: ($dacc | length), accuracy_per_round: $dacc,
			rounds_to_target: reach($dacc), final_accuracy: ($dacc | last),
			end_to_end_seconds_per_round: (if ($fixed | length) > 0 and ($starts | length) > 0
				then (($fixed | last | .[1]) - ($starts | first | .[1])) / ($fixed | length)
				else null end),
			round_seconds: [range(1; $starts | length) as $i | $starts[$i][1] - $starts[$i - 1][1]],
			blocks_per_round: [range(1; $blocks | length) as $i | $blocks[$i] - $blocks[$i - 1]]
		}
	} | .din.mean_blocks_per_round = (.din.blocks_per_round | mean)
	| .din.steady_blocks_per_round = (.din.blocks_per_round | median)
	| .din.seconds_per_round = (.din.round_seconds | median)
	| (3 * 3 + 2 * .flower.seconds_per_round) as $bound
	| def verdict(ok): if ok then "met" else "not met" end;
	.bars = {
		blocks: verdict(.din.steady_blocks_per_round != null and .din.steady_blocks_per_round <= 3),
		seconds_bound: $bound,
		seconds: verdict(.din.seconds_per_round != null and .din.seconds_per_round <= $bound),
		rounds: verdict(.din.rounds_to_target != null and (.flower.rounds_to_target == null
			or .din.rounds_to_target <= .flower.rounds_to_target))
	}' >"$WORK/both.json"
[ -z "$JSON" ] || cp "$WORK/both.json" "$JSON"

jq -r --arg cpu "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores" '
	def pct: if . == null then "-" else (. * 1000 | round / 10 | tostring) + "%" end;
	def num: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
	"10 IID participants, mlp:64, \(.din.rounds) rounds, 5 local epochs, batch 16, SGD lr 0.05 momentum 0.9; \($cpu).",
	"",
	"| | rounds to \(.target | pct) | final accuracy | seconds per round | seconds per round, end to end | blocks per round | blocks per round, mean |",
	"|---|---:|---:|---:|---:|---:|---:|",
	"| Flower \(.flower.version) (simulation) | \(.flower.rounds_to_target // "not reached") | \(.flower.final_accuracy | pct) | \(.flower.seconds_per_round | num) | \(.flower.seconds_per_round | num) | - | - |",
	"| DIN (dev chain, 3 s blocks) | \(.din.rounds_to_target // "not reached") | \(.din.final_accuracy | pct) | \(.din.seconds_per_round | num) | \(.din.end_to_end_seconds_per_round | num) | \(.din.steady_blocks_per_round | num) | \(.din.mean_blocks_per_round | num) |",
	"",
	"Accuracy per round, Flower: \(.flower.accuracy_per_round | map(pct) | join(" ")).",
	"",
	"Accuracy per round, DIN: \(.din.accuracy_per_round | map(pct) | join(" ")); blocks per round: \(.din.blocks_per_round | map(tostring) | join(" ")); seconds per round: \(.din.round_seconds | map(num) | join(" ")).",
	"",
	"Bars (issue #27): DIN blocks per round ≤ 3: \(.bars.blocks); DIN seconds per round ≤ 3 × block time + 2 × Flower'"'"'s (\(.bars.seconds_bound | num) s): \(.bars.seconds); DIN rounds to \(.target | pct) ≤ Flower'"'"'s: \(.bars.rounds)."' \
	"$WORK/both.json" | tee "$WORK/table.md"
if [ "$WRITE" = 1 ]; then
	replace_generated_section "$ROOT/docs/benchmarks.md" vs-flower "$WORK/table.md"
fi
