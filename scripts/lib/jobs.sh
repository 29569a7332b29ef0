# Stages run side by side, for scripts/test.sh. Sourced after log.sh (env.sh).
#
# Most of the test command's wall time is spent waiting: the end-to-end stages and the
# node tests wait for blocks and phase deadlines, and one of them alone leaves a 2-core
# machine mostly idle. So after the build, every stage is a job in one queue, run MAX at
# a time, the longest first, each in its own session with its output in its own log file.
# A job's expected wall time is its time in the last passing run on this machine
# (`$CARGO_TARGET_DIR/din-job-times.tsv`), else in the committed table of a reference run
# (scripts/lib/job-times.tsv: the jobs over a minute; `scripts/test.sh` prints how to
# refresh it), else 30 s. A finished job prints one line (its last line matching
# `JOB_SUMMARY`); a failed one prints its log's tail, and the others still run, so that
# one run reports every failure. A job still running after DIN_JOB_TIMEOUT_S (1500) fails
# (robust-e2e with its second run took 1059 s beside the others).
#   job NAME COMMAND…      # queue COMMAND (a program and its arguments)
#   job_last NAME COMMAND… # the same, started after every `job` (one that waits for
#                          # something still being installed)
#   job_alone_in GROUP NAME COMMAND…
#                          # a `job` never run beside another job of GROUP (each
#                          # zombienet test starts a network of four validators: two at
#                          # once starved one's RPC and another's start)
#   run_jobs MAX LOG_DIR   # run the queue; fails if any job failed

DIN_JOB_NAMES=() DIN_JOB_COMMANDS=() DIN_JOB_LAST=() DIN_JOB_GROUPS=()
DIN_JOB_PIDS=()
# A job's result line: a cargo test binary's counts, a script's closing "==>" line.
JOB_SUMMARY='^test result:|^==> '

job() {
	DIN_JOB_NAMES+=("$1")
	shift
	DIN_JOB_COMMANDS+=("$(printf '%q ' "$@")")
	DIN_JOB_LAST+=(0)
	DIN_JOB_GROUPS+=("")
}

job_alone_in() {
	local group="$1"
	shift
	job "$@"
	DIN_JOB_GROUPS[-1]="$group"
}

job_last() {
	job "$@"
	DIN_JOB_LAST[-1]=1
}

# The queue's indices: the `job_last` ones after the others, each part longest expected wall
# time first.
job_order() {
	local i expected tables=() table
	# Only the tables that exist: awk stops at the first file it cannot open.
	for table in "$CARGO_TARGET_DIR/din-job-times.tsv" "$DIN_ROOT/scripts/lib/job-times.tsv"; do
		[ ! -f "$table" ] || tables+=("$table")
	done
	for i in "${!DIN_JOB_NAMES[@]}"; do
		expected=$(awk -F'\t' -v n="${DIN_JOB_NAMES[$i]}" '$1 == n && !found { print $2; found = 1 }' \
			"${tables[@]}" /dev/null)
		echo "${DIN_JOB_LAST[$i]} ${expected:-30} $i"
	done | sort -k1,1n -k2,2nr -k3,3n | cut -d' ' -f3
}

record_job_time() { # name seconds
	local times="$CARGO_TARGET_DIR/din-job-times.tsv"
	mkdir -p "$CARGO_TARGET_DIR"
	{
		awk -F'\t' -v n="$1" '$1 != n' "$times" 2>/dev/null || true
		printf '%s\t%s\n' "$1" "$2"
	} >"$times.new"
	mv "$times.new" "$times"
}

# Stops every running job's session (its daemons included); for the caller's EXIT trap.
stop_jobs() {
	local pid
	for pid in "${DIN_JOB_PIDS[@]}"; do
		[ -n "$pid" ] || continue
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	done
}

run_jobs() {
	local max="$1" logs="$2" next=0 failed=() failed_logs=() order i k pid rc took log line short=0 short_s=0
	local -a started=()
	local group busy j
	local -a slots_index=() slots_start=() command
	local name
	local last_beat
	mkdir -p "$logs"
	mapfile -t order < <(job_order)
	[ "${#order[@]}" = "${#DIN_JOB_NAMES[@]}" ] || die "run_jobs: ordered ${#order[@]} of ${#DIN_JOB_NAMES[@]} jobs"
	last_beat=$(date +%s)
	DIN_JOB_PIDS=()
	while [ "$next" -lt "${#order[@]}" ] || [ "${#DIN_JOB_PIDS[@]}" -gt 0 ]; do
		while [ "${#DIN_JOB_PIDS[@]}" -lt "$max" ] && [ "$next" -lt "${#order[@]}" ]; do
			# The first job in the order not started yet whose group has none running.
			i=""
			for k in "${!order[@]}"; do
				[ -z "${started[$k]:-}" ] || continue
				group="${DIN_JOB_GROUPS[${order[$k]}]}" busy=0
				if [ -n "$group" ]; then
					for j in "${slots_index[@]}"; do
						[ "${DIN_JOB_GROUPS[$j]}" != "$group" ] || busy=1
					done
				fi
				[ "$busy" = 0 ] || continue
				i="${order[$k]}"
				started[k]=1
				break
			done
			[ -n "$i" ] || break
			next=$((next + 1))
			log="$logs/$(printf '%03d' "$i").log"
			stage "start: ${DIN_JOB_NAMES[$i]} (log: $log)"
			eval "command=(${DIN_JOB_COMMANDS[$i]})"
			# Its own session (setsid, not forking: a background job of a shell without job
			# control leads no group), so that stop_jobs reaches the daemons it starts; a
			# job that hangs is stopped, with its whole group, after DIN_JOB_TIMEOUT_S.
			setsid --wait timeout -k 30 "${DIN_JOB_TIMEOUT_S:-1500}" "${command[@]}" \
				>"$log" 2>&1 </dev/null &
			DIN_JOB_PIDS+=($!)
			slots_index+=("$i")
			slots_start+=("$(date +%s)")
		done
		sleep 1
		for k in "${!DIN_JOB_PIDS[@]}"; do
			pid="${DIN_JOB_PIDS[$k]}"
			kill -0 "$pid" 2>/dev/null && continue
			rc=0
			wait "$pid" || rc=$?
			# Whatever the job left running in its session (a daemon a test did not stop;
			# a node a failed zombienet test had paused gets the signal once continued).
			kill -TERM -- "-$pid" 2>/dev/null || true
			kill -CONT -- "-$pid" 2>/dev/null || true
			i="${slots_index[$k]}"
			took=$(($(date +%s) - slots_start[k]))
			log="$logs/$(printf '%03d' "$i").log"
			if [ "$took" -ge 30 ] || [ "$rc" != 0 ]; then
				record_stage_time "∥ ${DIN_JOB_NAMES[$i]}" "${slots_start[k]}"
			else
				short=$((short + 1)) short_s=$((short_s + took))
			fi
			if [ "$rc" = 0 ]; then
				record_job_time "${DIN_JOB_NAMES[$i]}" "$took"
				line=$(grep -E "$JOB_SUMMARY" "$log" | tail -1 || true)
				stage "passed in ${took} s: ${DIN_JOB_NAMES[$i]}${line:+: ${line#==> }}"
			else
				failed+=("${DIN_JOB_NAMES[$i]}")
				failed_logs+=("$log")
				if [ "$rc" = 124 ]; then rc="timed out"; else rc="exit $rc"; fi
				stage "${DIN_RED}FAILED${DIN_RESET} ($rc after ${took} s): ${DIN_JOB_NAMES[$i]}; the last 80 lines of $log:"
				tail -80 "$log" | sed 's/^/    | /' >&2
			fi
			unset 'DIN_JOB_PIDS[k]' 'slots_index[k]' 'slots_start[k]'
		done
		DIN_JOB_PIDS=("${DIN_JOB_PIDS[@]}")
		slots_index=("${slots_index[@]}")
		slots_start=("${slots_start[@]}")
		if [ $(($(date +%s) - last_beat)) -ge "${DIN_HEARTBEAT_S:-60}" ] && [ "${#DIN_JOB_PIDS[@]}" -gt 0 ]; then
			last_beat=$(date +%s)
			line=""
			for k in "${!slots_index[@]}"; do
				name="${DIN_JOB_NAMES[${slots_index[$k]}]}"
				line+="${line:+; }${name%%:*} ($(((last_beat - slots_start[k]) / 60)) min)"
			done
			echo "    [$(din_elapsed)] running: $line; $((${#order[@]} - next)) queued" >&2
		fi
	done
	[ "$short" = 0 ] || DIN_STAGE_TIMES+=("$(awk -v s="$short_s" -v n="$short" \
		'BEGIN { printf "%6.1f min  ∥ %d jobs of under 30 s each (their sum)", s / 60, n }')")
	if [ "${#failed[@]}" -gt 0 ]; then
		# Each failure's cause again, last: a CI report may keep only the end of the output,
		# and a job's tail printed when it failed can be half an hour of lines further up.
		for k in "${!failed[@]}"; do
			stage "${DIN_RED}FAILED${DIN_RESET}: ${failed[$k]}; the last 30 lines of ${failed_logs[$k]}:"
			tail -30 "${failed_logs[$k]}" | sed 's/^/    | /' >&2
		done
		stage "${DIN_RED}${#failed[@]} of ${#order[@]} jobs failed${DIN_RESET}:"
		printf '    %s\n' "${failed[@]}" >&2
		return 1
	fi
	stage "all ${#order[@]} jobs passed"
}
