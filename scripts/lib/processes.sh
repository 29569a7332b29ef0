# Background processes of a test script, on free loopback ports, stopped on every exit
# path. Sourced after WORK (the script's scratch directory) is set; `KEEP_WORK=1` keeps it.
#   some-daemon … & PIDS+=($!)

PIDS=()
source "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
