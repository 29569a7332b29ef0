#!/usr/bin/env bash
# The step of 0004-runtime-upgrade.zndsl (started by script.js with every node's ws URL):
# three federated rounds across the validators, during which two thirds of the council
# enact the runtime one spec_version ahead (DIN_UPGRADE_RUNTIME, which scripts/zombienet.sh
# builds before the network starts); fl-round.sh checks the task, the new runtime on every
# node, and finality after it.
#   zombienet/runtime-upgrade.sh WS_URL[,WS_URL…]
set -euo pipefail
exec "$(dirname "$0")/fl-round.sh" "$1" --rounds 3 \
	--upgrade-runtime "${DIN_UPGRADE_RUNTIME:?the runtime to upgrade to (scripts/zombienet.sh builds it)}"
