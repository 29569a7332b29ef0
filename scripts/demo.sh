#!/usr/bin/env bash
# The README's first command. Builds DIN, starts a development node (Alice validating
# alone), and prints block production and finality until Ctrl-C or `--blocks N`
# finalized blocks; then stops the node cleanly.
set -euo pipefail
source "$(dirname "$0")/env.sh"

BLOCKS=0
while [ $# -gt 0 ]; do
	case "$1" in
		--blocks) BLOCKS="$2"; shift 2 ;;
		-h|--help) echo "usage: scripts/demo.sh [--blocks N]"; exit 0 ;;
		*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done

"$DIN_ROOT/scripts/setup.sh"
echo "==> build"
din_build

RPC_PORT="${DIN_RPC_PORT:-9944}"
WORK="$(mktemp -d)"
LOG="$WORK/din-node.log"
"$DIN_NODE" --dev --base-path "$WORK/node" --rpc-port "$RPC_PORT" --no-telemetry >"$LOG" 2>&1 &
NODE_PID=$!
cleanup() {
	kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rpc() {
	curl -s -m 5 -H 'Content-Type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" \
		"http://127.0.0.1:$RPC_PORT" | jq -r "$3"
}

echo "==> din-node --dev (pid $NODE_PID, rpc ws://127.0.0.1:$RPC_PORT, log $LOG)"
START=$(date +%s)
until rpc system_health '[]' '.result.peers' >/dev/null 2>&1; do
	kill -0 "$NODE_PID" 2>/dev/null || { echo "din-node exited:"; tail -20 "$LOG"; exit 1; }
	sleep 1
done
echo "    RPC up after $(( $(date +%s) - START )) s"

LAST=""
while true; do
	kill -0 "$NODE_PID" 2>/dev/null || { echo "din-node exited:"; tail -20 "$LOG"; exit 1; }
	best=$(rpc chain_getHeader '[]' '.result.number' 2>/dev/null || echo null)
	fin_hash=$(rpc chain_getFinalizedHead '[]' '.result' 2>/dev/null || echo null)
	fin=$(rpc chain_getHeader "[\"$fin_hash\"]" '.result.number' 2>/dev/null || echo null)
	if [ "$best" != "null" ] && [ "$fin" != "null" ]; then
		line="best #$((best)) finalized #$((fin)) ($fin_hash)"
		if [ "$line" != "$LAST" ]; then
			printf '[%4ds] %s\n' "$(( $(date +%s) - START ))" "$line"
			LAST="$line"
		fi
		if [ "$BLOCKS" -gt 0 ] && [ "$((fin))" -ge "$BLOCKS" ]; then
			echo "==> $BLOCKS blocks finalized; stopping"
			exit 0
		fi
	fi
	sleep 1
done
