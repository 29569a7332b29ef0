#!/usr/bin/env bash
# The DIN paper's example task on one dev chain (issue #25): a thousand participants in ten
# subgroups of a hundred, ten evaluators per subgroup, through one round to settlement.
# Prints the report (per phase: blocks, seconds, transactions included, when the
# evaluators' last vote landed; whether every panel reached a majority); with --write it
# also replaces docs/scale.md.
#   scripts/bench/scale.sh [--write]
#   PARTICIPANTS=200 SUBGROUP=20 Q=5 EVALUATORS=10 scripts/bench/scale.sh   (a smaller task)
# Real parts: a release din-node --dev (the one scripts/bench/pallet-weights.sh builds,
# ~40 min cold on 2 cores; SCALE_NODE_PROFILE=debug takes the workspace's dev-profile node),
# the owner's `din task create` / `din task release-key` and store peer, and EVALUATORS
# `din evaluator` daemons (accounts //scale/evaluator/J, each bonded for ten seats).
# `din-scale` (client/load/src/scale.rs) funds the accounts and acts for the participants
# (//scale/participant/I): each bonds, joins, records its store peer, trains a real update
# on its share of digits, publishes it to the artifact store and submits it.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
cd "$DIN_ROOT"
source scripts/lib/benchmark-runtime.sh
WRITE=0
[ "${1:-}" = --write ] && WRITE=1
P="${PARTICIPANTS:-1000}" G="${SUBGROUP:-100}" Q="${Q:-10}" E="${EVALUATORS:-20}"
PROFILE="${SCALE_NODE_PROFILE:-release}"
# Phases: the round starts two BABE epochs (40 blocks) after the evaluators entered the
# pool (the sortition's lookback); the vote phases close early once every vote is in.
# Scoring and Rewarding run their length: 10,000 score commits, then as many reveals
# (every seat scores its subgroup's 100 updates). With 40 blocks each, a first run lost
# a quarter of the commits to the end of Scoring: the blocks took every commit sent
# (about 200 a block, "NoMoreTransactions"), the daemons sent them late, each counting its
# targets one after another before sending any.
REGISTRATION=60 TRAINING=10 PHASES=40 SCORING=100 REWARDING=100
WORK="$(mktemp -d)"
source scripts/lib/processes.sh
source scripts/lib/dev-chain.sh
source scripts/lib/load-node.sh
fail() {
	echo "FAILED: $*" >&2
	for log in "$WORK"/*.log; do echo "--- $log"; tail -15 "$log"; done >&2
	exit 1
}

din_build
start_load_node "$PROFILE" SCALE_NODE_PROFILE
URL="ws://127.0.0.1:$PORT"
export DIN_URL="$URL"
DIN="$CARGO_TARGET_DIR/debug/din"
SCALE="$CARGO_TARGET_DIR/debug/din-scale"

STORE_PORT=$(free_port)
"$DIN" store serve --dir "$WORK/owner-store" --listen "/ip4/127.0.0.1/tcp/$STORE_PORT" \
	--announce-interval 1 >"$WORK/store.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 30); do grep -q '^peer id' "$WORK/store.log" && break; sleep 0.5; done
PEER_ID=$(sed -n 's/^peer id //p' "$WORK/store.log")
[ -n "$PEER_ID" ] || fail "the store peer did not start"
export DIN_STORE_PEERS="/ip4/127.0.0.1/tcp/$STORE_PORT/p2p/$PEER_ID"

T0=$(date +%s)
"$SCALE" --url "$URL" fund --participants "$P" --evaluators "$E" >"$WORK/fund.log" 2>&1 ||
	fail "funding"

"$DIN" task create --suri //Alice --json --owner-dir "$WORK/owner" --store-dir "$WORK/owner-store" \
	--reward 100000 --rounds 1 --subgroup-size "$G" --evaluators "$Q" --min-participants "$P" \
	--registration-blocks "$REGISTRATION" --training-blocks "$TRAINING" --phase-blocks "$PHASES" \
	--scoring-blocks "$SCORING" --rewarding-blocks "$REWARDING" --test-samples 100 \
	--aggregation fedavg --scoring median --model softmax \
	>"$WORK/task.json" 2>"$WORK/create.log" || fail "task create"
TASK=$(jq -r .task "$WORK/task.json")
[ "$TASK" = 0 ] || fail "the evaluators serve task 0; the chain made task $TASK"
# The evaluators serve task 0 and exit once it is over, so they start after it exists; its
# Registration outlasts the sortition's lookback from their entering the pool.
for j in $(seq 0 $((E - 1))); do
	"$DIN" evaluator run --suri "//scale/evaluator/$j" --bond 1000 --task 0 --exit-when-done \
		--state-dir "$WORK/evaluator-$j" --store-dir "$WORK/evaluator-$j/store" \
		>"$WORK/evaluator-$j.log" 2>&1 &
	PIDS+=($!)
done
for _ in $(seq 120); do
	[ "$(grep -l 'registered as an evaluator' "$WORK"/evaluator-*.log 2>/dev/null | wc -l)" = "$E" ] && break
	sleep 1
done
[ "$(grep -l 'registered as an evaluator' "$WORK"/evaluator-*.log | wc -l)" = "$E" ] ||
	fail "not every evaluator registered"
echo "==> task $TASK created and $E evaluators in the pool after $(( $(date +%s) - T0 )) s"
"$DIN" task release-key --suri //Alice --task "$TASK" --owner-dir "$WORK/owner" --wait \
	>"$WORK/release.log" 2>&1 &
PIDS+=($!)

CPU="$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
"$SCALE" --url "$URL" run --task "$TASK" --participants "$P" --store-dir "$WORK/participants-store" \
	--out "$WORK/scale.md" --command "scripts/bench/scale.sh --write" \
	--setup "$E \`din evaluator\` daemons bonded for ten seats each, subgroups of $G with panels of $Q; din-node --dev ($PROFILE profile, one authority, 3 s blocks) on $CPU, every process on that machine." \
	2> >(tee "$WORK/scale.log" >&2) || fail "din-scale run"
# The evaluators' side of the duty times, from their logs: one line per aggregation duty
# (fetch, check and aggregate one subgroup's updates for one seat).
# Durations as Rust prints them: `7.6s`, or `980.1ms` under a second.
grep -h 'aggregated [0-9]* updates' "$WORK"/evaluator-*.log |
	sed -n -e 's/.* in \([0-9.]*\)ms$/\1 0.001/p' -e 's/.* in \([0-9.]*\)s$/\1 1/p' |
	awk '{ print $1 * $2 }' | sort -n |
	awk '{ t[NR] = $1 } END {
		if (NR) printf "\nAggregation duties (one subgroup for one seat: fetch its updates from the store peer, check, aggregate), from the daemons'"'"' logs: %d, median %.1f s, longest %.1f s.\n", NR, t[int((NR + 1) / 2)], t[NR]
	}' >>"$WORK/scale.md"
tail -n 1 "$WORK/scale.md"
if [ "$WRITE" = 1 ]; then
	cp "$WORK/scale.md" docs/scale.md
	echo "wrote docs/scale.md"
fi
