#!/usr/bin/env bash
# zombienet for DIN: `spawn` a 4-validator local network (Ctrl-C stops it) or run the
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
ZOMBIE=(node_modules/.bin/zombienet --provider native)
# zombienet colours its output whatever NO_COLOR says (the tools it starts honour it); logs
# and pipes get it without the escape codes.
[ -t 1 ] || export FORCE_COLOR=0 NO_COLOR=1
uncoloured() {
	if [ -t 1 ]; then "$@"; else "$@" | sed -u 's/\x1b\[[0-9;]*m//g'; fi
}

case "$cmd" in
	spawn) exec "${ZOMBIE[@]}" spawn local.toml ;;
	test)
		tests=("$@")
		[ ${#tests[@]} -gt 0 ] || tests=(*.zndsl)
		for t in "${tests[@]}"; do
			echo "==> zombienet test $t"
			uncoloured "${ZOMBIE[@]}" test "$(basename "$t")"
		done
		;;
	*) echo "usage: scripts/zombienet.sh spawn|test [FILE.zndsl…]" >&2; exit 2 ;;
esac
