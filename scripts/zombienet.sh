#!/usr/bin/env bash
# zombienet for DIN: `spawn` the 4-validator local network (Ctrl-C stops it) or run the
# `test`s (every zombienet/*.zndsl, or the ones named).
#   scripts/zombienet.sh spawn
#   scripts/zombienet.sh test [zombienet/0001-finality-and-restart.zndsl …]
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$DIN_ROOT/scripts/setup.sh" test

cmd="${1:-test}"; shift || true
din_build
cd "$DIN_ROOT/zombienet"
export DIN_NODE
source "$DIN_ROOT/scripts/lib/free-port.sh"
# Every network gets its own ports (local.toml names them), so networks side by side and
# the other tests' daemons never meet on one.
allocate_ports() {
	local node kind
	for node in ALICE BOB CHARLIE DAVE EVE EVETWIN; do
		for kind in RPC P2P PROMETHEUS; do
			export "DIN_ZOMBIE_${node}_${kind}_PORT=$(free_port)"
		done
	done
}
ZOMBIE=(node_modules/.bin/zombienet --provider native)
# The runtime-upgrade test's second runtime: din-runtime with `upgrade-test` (one
# spec_version ahead), built beside the node's runtime before its network starts.
upgrade_runtime() {
	source "$DIN_ROOT/scripts/lib/runtime-variant.sh"
	with_heartbeat "cargo build the upgrade-test runtime" \
		build_runtime_variant "$CARGO_TARGET_DIR/debug/wbuild/din-runtime" upgrade-test
	export DIN_UPGRADE_RUNTIME="$RUNTIME_VARIANT"
}
# zombienet colours its output whatever NO_COLOR says (the tools it starts honour it); logs
# and pipes get it without the escape codes.
[ -t 1 ] || export FORCE_COLOR=0 NO_COLOR=1
uncoloured() {
	if [ -t 1 ]; then "$@"; else "$@" | sed -u 's/\x1b\[[0-9;]*m//g'; fi
}

case "$cmd" in
	spawn) allocate_ports; exec "${ZOMBIE[@]}" spawn local.toml ;;
	test)
		tests=("$@")
		[ ${#tests[@]} -gt 0 ] || tests=(*.zndsl)
		for t in "${tests[@]}"; do
			echo "==> zombienet test $t"
			case "$t" in *runtime-upgrade*) upgrade_runtime ;; esac
			allocate_ports
			uncoloured "${ZOMBIE[@]}" test "$(basename "$t")"
		done
		;;
	*) echo "usage: scripts/zombienet.sh spawn|test [FILE.zndsl…]" >&2; exit 2 ;;
esac
