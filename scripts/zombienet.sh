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
# zombienet colours its output; not in logs and pipes.
[ -t 1 ] || export FORCE_COLOR=0 NO_COLOR=1
ZOMBIE=(node_modules/.bin/zombienet --provider native)

case "$cmd" in
	spawn) exec "${ZOMBIE[@]}" spawn local.toml ;;
	test)
		tests=("$@")
		[ ${#tests[@]} -gt 0 ] || tests=(*.zndsl)
		for t in "${tests[@]}"; do
			echo "==> zombienet test $t"
			"${ZOMBIE[@]}" test "$(basename "$t")"
		done
		;;
	*) echo "usage: scripts/zombienet.sh spawn|test [FILE.zndsl…]" >&2; exit 2 ;;
esac
