#!/usr/bin/env bash
# The steps of 0003-validators.zndsl that need DIN's client (validators.js starts them):
#   zombienet/validators.sh join ALICE_WS EVE_WS          # Eve bonds, registers keys, stands
#   zombienet/validators.sh equivocation ALICE_WS EVE_WS  # Eve's equivocation is punished
# The set is read from alice's node; Eve's operator talks to Eve's own node.
set -euo pipefail
source "$DIN_ROOT/scripts/env.sh"
DIN="$CARGO_TARGET_DIR/debug/din"
STEP="$1" ALICE_URL="$2" EVE_URL="$3"
EVE=$("$DIN" key inspect --suri //Eve)
BOND=20000

status() { "$DIN" validator status --url "$ALICE_URL" --json; }
validator_bond() {
	"$DIN" stake show --url "$ALICE_URL" --suri //Eve --json | jq -r .bonds.validator.active
}
# wait_for DESCRIPTION JQ_FILTER SECONDS: until the filter holds on the status ($eve is Eve).
wait_for() {
	local deadline=$((SECONDS + $3))
	until status | jq -e --arg eve "$EVE" "$2" >/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "validators.sh: not within $3 s: $1" >&2
			status >&2
			exit 1
		fi
		sleep 3
	done
	echo "validators.sh: $1"
}

case "$STEP" in
	join)
		"$DIN" validator join --url "$EVE_URL" --suri //Eve --session-seed //Eve --bond "$BOND"
		wait_for "Eve stands as a candidate" '.candidates | any(.account == $eve)' 30
		# Sessions are 20 slots (a minute): the set of the session after next holds her.
		wait_for "the planned set holds Eve" '.planned | index($eve) != null' 150
		wait_for "Eve is an active validator" '.active | index($eve) != null' 150
		;;
	equivocation)
		before=$(validator_bond)
		# Only an offence ends her candidacy here: she never chills.
		wait_for "Eve's equivocation ended her candidacy" '.candidates | any(.account == $eve) | not' 480
		after=$(validator_bond)
		echo "validators.sh: Eve's validator bond: $before before the report, $after after"
		python3 -c "import sys; sys.exit(0 if int('$after') < int('$before') else 1)" ||
			{ echo "validators.sh: Eve's bond was not slashed" >&2; exit 1; }
		wait_for "the planned set no longer holds Eve" '.planned | index($eve) == null' 150
		wait_for "Eve is no longer an active validator" '.active | index($eve) == null' 150
		;;
	*)
		echo "usage: zombienet/validators.sh join|equivocation ALICE_WS EVE_WS" >&2
		exit 2
		;;
esac
