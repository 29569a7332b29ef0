#!/usr/bin/env bash
# Load on a dev chain (issue #22): din-load (client/load) funds 1,536 participants and 8
# evaluators, runs six tasks of 256 participants whose rounds start two to a block, and
# sends real `submit_update` into blocks that carry deadlines, beside `transfer_keep_alive`
# in the same run: bursts of one size (512) of each kind, and bursts of each kind larger
# than a block holds. It counts what every block included. Prints the report; with
# --write it also replaces docs/load.md.
#   scripts/bench/load.sh [--write]          (~5 min once built: most of it the evaluators' lookback)
#   LOAD_NODE_PROFILE=debug scripts/bench/load.sh   (the workspace's dev-profile din-node)
# The node is a release din-node by default: the one scripts/bench/pallet-weights.sh builds
# (in $DIN_BENCH_TARGET_DIR, ~40 min cold on 2 cores; its built-in runtime is the normal
# one, the benchmark CLI is all it adds). A dev-profile node spends about 4 ms per
# transaction building a block, so it cannot fill one in the proposal time of a 3 s slot.
# `--dev`: one authority, 3-second blocks.
set -euo pipefail
source "$(dirname "$0")/../env.sh"
cd "$DIN_ROOT"
source scripts/lib/benchmark-runtime.sh
WRITE=0
[ "${1:-}" = --write ] && WRITE=1
PROFILE="${LOAD_NODE_PROFILE:-release}"
WORK="$(mktemp -d)"
source scripts/lib/processes.sh
source scripts/lib/dev-chain.sh
source scripts/lib/load-node.sh
trap 'cleanup; [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"' EXIT

# din-load itself (and the dev-profile node).
din_build
start_load_node "$PROFILE" LOAD_NODE_PROFILE

CPU="$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
OUT="$WORK/load.md"
"$CARGO_TARGET_DIR/debug/din-load" --url "ws://127.0.0.1:$PORT" --out "$OUT" \
	--node "din-node --dev ($PROFILE profile, one authority, 3 s blocks) on $CPU" \
	--command "scripts/bench/load.sh --write" || {
	tail -30 "$WORK/node.log" >&2
	exit 1
}
if [ "$WRITE" = 1 ]; then
	cp "$OUT" docs/load.md
	echo "wrote docs/load.md"
fi
