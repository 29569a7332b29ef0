# Progress output of the DIN scripts, sourced by env.sh. A cold build or install runs for
# tens of minutes on a 2-core machine, so no step stays silent: each stage prints a line
# with the wall time since the first script of the run started, and a long step prints a
# heartbeat line at least once a minute. Colour only when stderr is a terminal, so that
# logs written to files and pipes carry no escape codes.
#   stage "build"                     # ==> [12:34] build
#   with_heartbeat "eth-rpc install" cargo install …
#   die "Node.js is needed for …"     # error: Node.js is needed for …, exit 1

# Inherited by the scripts a script calls, so that their stage times count from one start.
DIN_T0="${DIN_T0:-$(date +%s)}"
export DIN_T0

if [ -t 2 ] && [ -z "${NO_COLOR:-}" ]; then
	DIN_BOLD=$'\033[1m' DIN_RED=$'\033[1;31m' DIN_RESET=$'\033[0m'
else
	DIN_BOLD="" DIN_RED="" DIN_RESET=""
fi

din_elapsed() {
	local s=$(($(date +%s) - DIN_T0))
	printf '%d:%02d' $((s / 60)) $((s % 60))
}

stage() { echo "${DIN_BOLD}==> [$(din_elapsed)] $*${DIN_RESET}" >&2; }

die() {
	echo "${DIN_RED}error:${DIN_RESET} $*" >&2
	exit 1
}

# with_heartbeat LABEL COMMAND…: runs COMMAND; while it runs, prints a line every 60 s
# (DIN_HEARTBEAT_S) to stderr. Returns COMMAND's exit status.
with_heartbeat() {
	local label="$1" start rc=0 beat
	shift
	start=$(date +%s)
	(
		# The sleep holds no descriptor of ours, so a pipe reading this script's output
		# closes when the script ends, not when the last sleep does.
		sleeper=""
		trap 'kill $sleeper 2>/dev/null; exit 0' TERM
		while :; do
			sleep "${DIN_HEARTBEAT_S:-60}" </dev/null >/dev/null 2>&1 &
			sleeper=$!
			wait "$sleeper"
			kill -0 $$ 2>/dev/null || exit 0
			echo "    [$(din_elapsed)] $label: still running ($((($(date +%s) - start) / 60)) min)" >&2
		done
	) &
	beat=$!
	"$@" || rc=$?
	kill "$beat" 2>/dev/null || true
	wait "$beat" 2>/dev/null || true
	return "$rc"
}

# timed_stage NAME COMMAND…: `stage NAME`, COMMAND with a heartbeat, and its wall time
# recorded for `stage_times` (the table a run ends with). Returns COMMAND's status.
DIN_STAGE_TIMES=()
timed_stage() {
	local name="$1" start rc=0
	shift
	stage "$name"
	start=$(date +%s)
	with_heartbeat "$name" "$@" || rc=$?
	record_stage_time "$name" "$start"
	return "$rc"
}
record_stage_time() { # NAME START_EPOCH_S
	DIN_STAGE_TIMES+=("$(awk -v s=$(($(date +%s) - $2)) -v n="$1" 'BEGIN { printf "%6.1f min  %s", s / 60, n }')")
}
stage_times() {
	echo "stage times (wall):" >&2
	printf '  %s\n' "${DIN_STAGE_TIMES[@]}" >&2
	awk -v s=$(($(date +%s) - DIN_T0)) 'BEGIN { printf "  %6.1f min  total\n", s / 60 }' >&2
}
