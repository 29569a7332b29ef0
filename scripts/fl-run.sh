#!/usr/bin/env bash
# One federated-learning task run by real processes on loopback: din-node --dev (or the
# running nodes given with --url), a store peer (the owner's), the owner's `din task
# create` and `release-key`, P participant daemons, E evaluator daemons and `din task
# watch`, which prints the task's life and exits when it finishes. Used by scripts/demo.sh
# (full size), scripts/fl-e2e.sh (reduced, with attackers) and the zombienet test of a
# round across validators. Assumes the workspace is built. Every participant serves
# Prometheus metrics (--prometheus-port); the run fails unless each honest one's /metrics
# counted a submitted update.
#
#   scripts/fl-run.sh [--participants P] [--evaluators E] [--subgroup-size G] [--q Q]
#                     [--rounds R] [--aggregation RULE] [--scoring zk|median] [--model M]
#                     [--test-samples N] [--training-blocks B] [--phase-blocks B]
#                     [--scoring-blocks B]
#                     [--poisoner] [--copier] [--inflater] [--liar] [--copy-commit]
#                     [--wrong-test-set] [--summary FILE] [--events FILE] [--kill-restart]
#                     [--owner-control] [--upgrade-runtime WASM] [--try-runtime DIR]
#                     [--data-dir DIR] [--standardize]
#                     [--dp CLIP,SIGMA,EPSILON] [--unprivatized] [--drop-after-upload]
#                     [--url WS_URL[,WS_URL…]] [--timeout SECONDS] [--worker]
#                     [--reward-asset ASSET_ID] [--buffer K,S] [--straggler BLOCKS]
#
# --model: softmax (default) or mlp:W[,W…] (`din task create --model`;
#          zk scoring proves softmax and one-hidden-layer MLPs only).
# --phase-blocks: each vote phase's timeout (3); a phase ends one block after its last
#                 expected vote anyway, so a longer one only waits for the silent.
# --reward-asset: fund the pool of 10,000 in this pallet-assets asset instead of the native
#                 token (the dev chain's stablecoin dUSD is 1; docs/assets.md).
# --buffer: an asynchronous task (`din task create --buffer K --max-staleness S`): Training
#           closes once K updates are in, and updates up to S rounds stale are accepted.
# --straggler: the last participant (after the attackers' places) trains as a device that
#              needs BLOCKS blocks (`din participant run --train-blocks BLOCKS`).
# --summary: write `din task watch`'s JSON summary there (the last of its --json-lines).
# --events: write every event `din task watch --json-lines` streamed there.
# --timeout: fail when the task has not finished this long after its creation (1800).
# --url: use these running nodes of one chain instead of starting a dev node. The owner
#        and the watcher use the first; participant i uses URL[i mod n] and evaluator j
#        URL[(P + j) mod n], so that a subgroup's daemons sit on different nodes.
# Attackers take the last participant and evaluator places, in the order of their flags
# here (--poisoner --copier --inflater: with all three, participants P-2, P-1 and P):
# --poisoner: sends sign-flipped ×10 updates.
# --copier: trains nothing and submits another participant's update once it is on chain.
# --inflater: claims u64::MAX samples for its update.
# --liar: the evaluator reveals a wrong aggregate.
# --copy-commit: the evaluator commits another panel member's hash and reveals nothing.
# --unprivatized: in a --dp task, the participant publishes its update neither clipped nor
#                 noised.
# --drop-after-upload: with --aggregation secure-fedavg, the last participant uploads its
#                      first masked update and never hands over its shares
#                      (`--attack skip-hand-over`); once the others have handed over theirs
#                      (holding its upload), it is killed (SIGKILL) and not restarted.
# --wrong-test-set: the owner commits to its test set but seals another under the key.
# --worker: one more evaluator, done by the dev node's off-chain worker: its key (the
#           next dev account after the daemons') is inserted as `din!` into the node's keystore, it is
#           registered with `din evaluator register`, and the node fetches from the owner
#           store's HTTP gateway (--din-store-gateway). Dev node only (not with --url).
# --kill-restart: kills the first participant and first evaluator mid-task (SIGKILL)
#                 and restarts them on the same state directories.
# --owner-control: the owner runs `din task extend --rounds 2` (with the smallest top-up
#                  the chain takes) once round 1 has started, then `din task end` once round 2
#                  has started: training ends after round 2, or round 3 where the end lands
#                  only then (a round of prompt parties is three blocks), on a pool twice
#                  the size.
# --upgrade-runtime: once the task is created, two thirds of the council (Alice and Bob of
#                    the dev and local chains' three members) enact the runtime in WASM by
#                    motions (`din council whitelist-upgrade`, `vote`, `close`,
#                    `enact-upgrade`, `vote`, `close`; nine finalized transactions, about
#                    two minutes) while the daemons work on; the run fails unless the
#                    upgrade was enacted before the task finished.
# --try-runtime: the dev node runs the runtime in DIR (`--wasm-runtime-overrides`: a build
#                with the `try-runtime` feature, scripts/lib/runtime-variant.sh) in place of
#                its own, and the run fails unless `TryRuntime_on_runtime_upgrade` with every
#                check (the migrations' pre/post checks, every pallet's try_state) passes
#                over the chain's state in round 2 (0-based 1) and after the task. Dev node
#                only.
# --data-dir: CSV data instead of the digits: participant i trains on DIR/participant-i.csv,
#             the owner commits the first --test-samples rows of DIR/test.csv, and the
#             watcher and the final evaluation score every row of DIR/test.csv (header row,
#             label in the last column). zk scoring needs --standardize (the circuit
#             commits the digits grid, or a preprocessed task's signed features).
# --standardize: the owner's task standardizes every input feature (`din task create
#                --standardize`), and every participant applies that map to its data.
# --dp: the task's differential-privacy policy (`din task create --dp-clip-norm CLIP
#       --dp-noise-multiplier SIGMA --dp-epsilon EPSILON`, δ = 1e-5): every participant
#       clips and noises its updates.
# FINAL_JSON=FILE (environment): the final model's evaluation on the digits test split (or
# DIR/test.csv) is also written there as JSON (`din model evaluate --json`; scripts/demo.sh
# reads it).
# Accounts: the owner is //Alice; participants and evaluators are the other endowed dev
# accounts (the dev genesis endows all 14 sr25519 keyring accounts), so at most P + E = 13.
set -euo pipefail
source "$(dirname "$0")/env.sh"

P=8 E=4 G=4 Q=3 ROUNDS=5 SUMMARY="" EVENTS="" KILL=0 WORKER=0 OWNER_ATTACK=() OWNER_CONTROL=0 UPGRADE=""
TRY_RUNTIME=""
REWARD_ASSET=()
RULE=fedavg SCORING=zk MODEL=softmax SAMPLES=32 TRAINING_BLOCKS=3 PHASE_BLOCKS=3 SCORING_BLOCKS=50 URLS=() TIMEOUT=1800
PARTICIPANT_ATTACKS=() EVALUATOR_ATTACKS=() DATA_DIR="" STANDARDIZE=() PRIVACY=() DROP=0
PACING=() STRAGGLER=0
while [ $# -gt 0 ]; do
	case "$1" in
		--participants) P="$2"; shift 2 ;;
		--evaluators) E="$2"; shift 2 ;;
		--subgroup-size) G="$2"; shift 2 ;;
		--q) Q="$2"; shift 2 ;;
		--rounds) ROUNDS="$2"; shift 2 ;;
		--aggregation) RULE="$2"; shift 2 ;;
		--scoring) SCORING="$2"; shift 2 ;;
		--model) MODEL="$2"; shift 2 ;;
		--timeout) TIMEOUT="$2"; shift 2 ;;
		--url) IFS=, read -r -a URLS <<<"$2"; shift 2 ;;
		--test-samples) SAMPLES="$2"; shift 2 ;;
		--training-blocks) TRAINING_BLOCKS="$2"; shift 2 ;;
		--phase-blocks) PHASE_BLOCKS="$2"; shift 2 ;;
		--scoring-blocks) SCORING_BLOCKS="$2"; shift 2 ;;
		--poisoner) PARTICIPANT_ATTACKS+=(sign-flip:10); shift ;;
		--copier) PARTICIPANT_ATTACKS+=(copy); shift ;;
		--inflater) PARTICIPANT_ATTACKS+=(inflate-samples); shift ;;
		--unprivatized) PARTICIPANT_ATTACKS+=(skip-privacy); shift ;;
		--drop-after-upload) PARTICIPANT_ATTACKS+=(skip-hand-over); DROP=1; shift ;;
		--dp)
			IFS=, read -r clip sigma epsilon <<<"$2"
			PRIVACY=(--dp-clip-norm "$clip" --dp-noise-multiplier "$sigma" --dp-epsilon "$epsilon")
			shift 2 ;;
		--liar) EVALUATOR_ATTACKS+=(wrong-aggregate); shift ;;
		--copy-commit) EVALUATOR_ATTACKS+=(copy-commit); shift ;;
		--wrong-test-set) OWNER_ATTACK=(--attack seal-other-test-set); shift ;;
		--summary) SUMMARY="$2"; shift 2 ;;
		--events) EVENTS="$2"; shift 2 ;;
		--kill-restart) KILL=1; shift ;;
		--owner-control) OWNER_CONTROL=1; shift ;;
		--upgrade-runtime) UPGRADE="$2"; shift 2 ;;
		--try-runtime) TRY_RUNTIME="$2"; shift 2 ;;
		--data-dir) DATA_DIR="$2"; shift 2 ;;
		--standardize) STANDARDIZE=(--standardize); shift ;;
		--worker) WORKER=1; shift ;;
		--reward-asset) REWARD_ASSET=(--reward-asset "$2"); shift 2 ;;
		--buffer)
			IFS=, read -r buffer staleness <<<"$2"
			PACING=(--buffer "$buffer" --max-staleness "$staleness")
			shift 2 ;;
		--straggler) STRAGGLER="$2"; shift 2 ;;
		*) echo "unknown argument: $1" >&2; exit 2 ;;
	esac
done
ACCOUNTS=(//Bob //Charlie //Dave //Eve //Ferdie //Alice//stash //Bob//stash //Charlie//stash
	//Dave//stash //Eve//stash //Ferdie//stash //One //Two)
if [ $((P + E + WORKER)) -gt ${#ACCOUNTS[@]} ]; then
	echo "at most ${#ACCOUNTS[@]} participants + evaluators (+ the worker)" >&2
	exit 2
fi
WORKER_SURI="${ACCOUNTS[$((P + E))]:-}"
# Where each party's data comes from: the digits, or the CSV files of --data-dir.
if [ -n "$DATA_DIR" ]; then
	TEST_DATA="csv:$DATA_DIR/test.csv"
	participant_data() { echo "csv:$DATA_DIR/participant-$1.csv"; }
else
	TEST_DATA=digits-test
	participant_data() { echo "digits:$1/$P"; }
fi

DIN="$CARGO_TARGET_DIR/debug/din"
WORK="$(mktemp -d)"
source "$DIN_ROOT/scripts/lib/processes.sh"
fail() {
	echo "FAILED: $*" >&2
	for log in "$WORK"/*.log; do echo "--- $log"; tail -15 "$log"; done >&2
	exit 1
}

wait_for_rpc() { # ws URL
	local http="http${1#ws}"
	# Up to five minutes: a node compiling a new runtime beside the test command's other
	# jobs (five at a time on two cores, robust-e2e starting two nodes) took over two.
	for _ in $(seq 300); do
		curl -s -m 2 -H 'Content-Type: application/json' \
			-d '{"jsonrpc":"2.0","id":1,"method":"chain_getHeader","params":[]}' \
			"$http" | grep -q '"number"' && return 0
		sleep 1
	done
	fail "no node answers at $1"
}
GATEWAY_PORT=$(free_port)
GATEWAY_ARGS=()
if [ ${#URLS[@]} -eq 0 ]; then
	RPC_PORT=$(free_port)
	URLS=("ws://127.0.0.1:$RPC_PORT")
	NODE_ARGS=(--no-prometheus)
	if [ "$WORKER" = 1 ]; then
		"$DIN_NODE" key insert --base-path "$WORK/node" --chain dev --key-type 'din!' --scheme sr25519 \
			--suri "$WORKER_SURI" || fail "key insert"
		# The worker's duties are counted on the node's Prometheus endpoint.
		NODE_METRICS_PORT=$(free_port)
		NODE_ARGS=(--din-store-gateway "http://127.0.0.1:$GATEWAY_PORT" --prometheus-port "$NODE_METRICS_PORT")
		# The worker uploads the aggregates it commits to through the same gateway, signed
		# by its evaluator key, which the gateway finds in the chain's evaluator pool.
		GATEWAY_ARGS=(--http-max-upload $((8 << 20)) --http-upload-signer pool)
	fi
	[ -z "$TRY_RUNTIME" ] || NODE_ARGS+=(--wasm-runtime-overrides "$TRY_RUNTIME")
	# No mDNS: every dev chain has the same genesis, so dev nodes of scripts running side by
	# side (scripts/test.sh) would find each other, join one network and author on each
	# other's chain as the same Alice.
	"$DIN_NODE" --dev --base-path "$WORK/node" --rpc-port "$RPC_PORT" --port "$(free_port)" \
		--no-telemetry --no-mdns "${NODE_ARGS[@]}" >"$WORK/node.log" 2>&1 &
	PIDS+=($!)
elif [ "$WORKER" = 1 ] || [ -n "$TRY_RUNTIME" ]; then
	echo "--worker and --try-runtime need the dev node this script starts (not --url)" >&2
	exit 2
fi
for url in "${URLS[@]}"; do wait_for_rpc "$url"; done
export DIN_URL="${URLS[0]}"
node_url() { echo "${URLS[$(($1 % ${#URLS[@]}))]}"; }
# try_runtime WHEN: `TryRuntime_on_runtime_upgrade(UpgradeCheckSelect::All)` on the best
# block, which answers its weights only if every check passed; a failed check is the
# runtime's panic, in the node's error answer.
try_runtime() {
	local answer
	answer=$(curl -s -m 120 -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"state_call","params":["TryRuntime_on_runtime_upgrade","0x01"]}' \
		"http${URLS[0]#ws}")
	jq -e '.result | startswith("0x")' >/dev/null <<<"$answer" ||
		fail "the try-runtime checks failed $1: $(jq -c '.error // .' <<<"$answer" | cut -c1-2000)"
	echo "==> every migration's pre/post checks and every pallet's try_state pass $1" >&2
	touch "$WORK/try-runtime-$2"
}

STORE_PORT=$(free_port)
"$DIN" store serve --dir "$WORK/owner-store" --listen "/ip4/127.0.0.1/tcp/$STORE_PORT" \
	--http "127.0.0.1:$GATEWAY_PORT" "${GATEWAY_ARGS[@]}" --announce-interval 1 >"$WORK/store.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 30); do grep -q '^peer id' "$WORK/store.log" && break; sleep 0.5; done
PEER_ID=$(sed -n 's/^peer id //p' "$WORK/store.log")
[ -n "$PEER_ID" ] || fail "the store peer did not start"
export DIN_STORE_PEERS="/ip4/127.0.0.1/tcp/$STORE_PORT/p2p/$PEER_ID"

case "$SCORING" in
	zk) SCORED="Groth16 scores on $SAMPLES test samples" ;;
	median) SCORED="median scores on $SAMPLES test samples" ;;
	*) echo "--scoring is zk or median" >&2; exit 2 ;;
esac
if [ "$WORKER" = 1 ]; then
	# The dev chain may not have produced its first block yet (transactions are invalid
	# until then): retry for a while.
	for attempt in $(seq 20); do
		"$DIN" evaluator register --suri "$WORKER_SURI" >"$WORK/worker-register.log" 2>&1 && break
		[ "$attempt" = 20 ] && fail "registering the worker's account"
		sleep 1
	done
	echo "==> the dev node's off-chain worker evaluates as $(sed -n 's/ is in the evaluator pool$//p' "$WORK/worker-register.log")"
fi
echo "==> task: $MODEL, $P participants in subgroups of $G, $Q evaluators per subgroup (pool of $((E + WORKER))), $ROUNDS rounds, $RULE, $SCORED, ${#URLS[@]} node(s)"
T0=$(date +%s)
"$DIN" task create --suri //Alice --json --owner-dir "$WORK/owner" --store-dir "$WORK/owner-store" \
	--reward 10000 "${REWARD_ASSET[@]}" --rounds "$ROUNDS" --subgroup-size "$G" --evaluators "$Q" --min-participants "$P" \
	--phase-blocks "$PHASE_BLOCKS" --registration-blocks 6 --training-blocks "$TRAINING_BLOCKS" \
	--scoring-blocks "$SCORING_BLOCKS" --rewarding-blocks 15 --test-samples "$SAMPLES" \
	--aggregation "$RULE" --scoring "$SCORING" --model "$MODEL" "${OWNER_ATTACK[@]}" \
	--test-data "$TEST_DATA" "${STANDARDIZE[@]}" "${PRIVACY[@]}" "${PACING[@]}" \
	>"$WORK/task.json" 2>"$WORK/create.log" || fail "task create"
TASK=$(jq -r .task "$WORK/task.json")
# The evaluators find the proving key (zk) through the spec's `test_set.proving_key_cid`.
PK=$(jq -r '.proving_key_cid // empty' "$WORK/task.json")
echo "    task $TASK created in $(( $(date +%s) - T0 )) s (genesis model, encrypted test set${PK:+, Groth16 setup})"

"$DIN" task release-key --suri //Alice --task "$TASK" --owner-dir "$WORK/owner" --wait \
	>"$WORK/release.log" 2>&1 &
PIDS+=($!)

declare -A DAEMONS # pid → name, of the daemons this shell started
# Every participant serves Prometheus metrics on a port of its own (kept across a restart);
# a scraper keeps the answer with the most submitted updates of each (a restarted process
# counts from zero, and finds its update already on chain), checked once the task is over.
declare -A METRICS_PORT
for i in $(seq "$P"); do METRICS_PORT[$i]=$(free_port); done
submitted_in() { # metrics file → its din_updates_submitted_total (0 without one)
	local n
	n=$(sed -n 's/^din_updates_submitted_total //p' "$1" 2>/dev/null)
	echo "${n:-0}"
}
(
	while :; do
		for i in "${!METRICS_PORT[@]}"; do
			kept="$WORK/metrics-participant-$i.txt"
			curl -sf -m 2 "http://127.0.0.1:${METRICS_PORT[$i]}/metrics" >"$WORK/metrics-$i.new" &&
				[ "$(submitted_in "$WORK/metrics-$i.new")" -ge "$(submitted_in "$kept")" ] &&
				mv "$WORK/metrics-$i.new" "$kept"
		done
		sleep 2
	done
) &
PIDS+=($!)
participant() { # index (1-based), restart flag
	local i=$1 extra=() n=$(($1 - 1 - P + ${#PARTICIPANT_ATTACKS[@]}))
	[ "$n" -ge 0 ] && extra=(--attack "${PARTICIPANT_ATTACKS[$n]}")
	[ "$i" -eq $((P - ${#PARTICIPANT_ATTACKS[@]})) ] && [ "$STRAGGLER" -gt 0 ] &&
		extra+=(--train-blocks "$STRAGGLER")
	"$DIN" participant run --url "$(node_url "$i")" --suri "${ACCOUNTS[$((i - 1))]}" \
		--task "$TASK" --data "$(participant_data "$i")" --prometheus-port "${METRICS_PORT[$i]}" \
		--seed "$i" --state-dir "$WORK/participant-$i" --store-dir "$WORK/participant-$i/store" \
		"${extra[@]}" >>"$WORK/participant-$i.log" 2>&1 &
	PIDS+=($!)
	DAEMONS[$!]="participant $i"
	eval "PARTICIPANT_$i=$!"
}
evaluator() { # index (1-based)
	local j=$1 extra=() n=$(($1 - 1 - E + ${#EVALUATOR_ATTACKS[@]}))
	[ "$n" -ge 0 ] && extra=(--attack "${EVALUATOR_ATTACKS[$n]}")
	"$DIN" evaluator run --url "$(node_url $((P + j)))" --suri "${ACCOUNTS[$((P + j - 1))]}" \
		--task "$TASK" \
		--exit-when-done --state-dir "$WORK/evaluator-$j" --store-dir "$WORK/evaluator-$j/store" \
		"${extra[@]}" >>"$WORK/evaluator-$j.log" 2>&1 &
	PIDS+=($!)
	DAEMONS[$!]="evaluator $j"
	eval "EVALUATOR_$j=$!"
}
for j in $(seq "$E"); do evaluator "$j"; done
for i in $(seq "$P"); do participant "$i"; done

WATCH_ARGS=(task watch --task "$TASK" --store-dir "$WORK/watch-store" --eval-data "$TEST_DATA")
# Waits until round `round` (0-based) of the task has started: a phase can be a single
# block, too short to wait for by polling.
wait_for_round() {
	until "$DIN" task status --url "$(node_url 1)" --task "$TASK" --json 2>/dev/null |
		jq -e "select(.round >= $1 and .phase != \"Registration\")" >/dev/null; do sleep 0.5; done
}
if [ "$OWNER_CONTROL" = 1 ]; then
	(
		wait_for_round 0
		# Two more rounds must keep the pool per round: 10000 × 2 / ROUNDS, rounded up.
		"$DIN" task extend --url "$(node_url 1)" --suri //Alice --task "$TASK" --rounds 2 \
			--top-up "$(((20000 + ROUNDS - 1) / ROUNDS))" >"$WORK/owner-control.log" 2>&1 ||
			fail "din task extend (log: $WORK/owner-control.log)"
		# A round of prompt parties is three blocks: the end lands in round 2 or 3 of the
		# four, and training ends after that round.
		wait_for_round 1
		"$DIN" task end --url "$(node_url 1)" --suri //Alice --task "$TASK" >>"$WORK/owner-control.log" 2>&1 ||
			fail "din task end (log: $WORK/owner-control.log)"
		echo "==> the owner extended the task by two rounds in round 1 and ended its training in round 2 or 3" >&2
	) &
	PIDS+=($!)
fi
if [ -n "$UPGRADE" ]; then
	(
		council() {
			"$DIN" council "$@" >>"$WORK/upgrade.log" 2>&1 || fail "din council $1 (log: $WORK/upgrade.log)"
		}
		motion() { sed -n 's/^moved the [a-z]* motion \(0x[0-9a-f]*\) .*/\1/p' "$WORK/upgrade.log" | tail -n 1; }
		council whitelist-upgrade --url "$(node_url 1)" --suri //Alice --wasm "$UPGRADE"
		council vote --url "$(node_url 2)" --suri //Bob --motion "$(motion)"
		council close --url "$(node_url 2)" --suri //Bob --motion "$(motion)"
		council enact-upgrade --url "$(node_url 2)" --suri //Bob --wasm "$UPGRADE"
		council vote --url "$(node_url 1)" --suri //Alice --motion "$(motion)"
		council close --url "$(node_url 1)" --suri //Alice --motion "$(motion)"
		upgraded=$(grep "^the runtime was upgraded" "$WORK/upgrade.log") ||
			fail "the council's motions passed but the runtime is the same (log: $WORK/upgrade.log)"
		echo "$upgraded" >"$WORK/upgraded"
		echo "==> the council enacted a runtime upgrade in round $("$DIN" task status --url "$(node_url 1)" --task "$TASK" --json | jq .round): ${upgraded#the runtime was upgraded: }" >&2
	) &
	PIDS+=($!)
fi
if [ -n "$TRY_RUNTIME" ]; then
	(
		wait_for_round 1
		try_runtime "in round 1" mid-task
	) &
	PIDS+=($!)
fi
if [ "$DROP" = 1 ]; then
	(
		for i in $(seq $((P - 1))); do
			until grep -q "round 1: handed over" "$WORK/participant-$i.log" 2>/dev/null; do sleep 0.5; done
		done
		grep -q "round 1: submitted" "$WORK/participant-$P.log" ||
			fail "participant $P did not upload in round 1"
		kill -9 "$(eval echo "\$PARTICIPANT_$P")" 2>/dev/null || true
		echo "==> participant $P uploaded its masked update in round 1, handed over nothing and was killed (SIGKILL)" >&2
	) &
	PIDS+=($!)
fi
if [ "$KILL" = 1 ]; then
	(
		# Mid-task: SIGKILL one participant and one evaluator, restart them on their state,
		# as round 1 starts (round 0 waits until the pool and the participants are drawable,
		# an epoch after they joined).
		wait_for_round 1
		kill -9 "$PARTICIPANT_1" "$EVALUATOR_1" 2>/dev/null || true
		echo "==> killed participant 1 and evaluator 1 (SIGKILL); restarting them" >&2
		sleep 3
		participant 1
		evaluator 1
		wait
	) &
	PIDS+=($!)
fi
# The watcher exits when the task finishes; a task stuck in some phase ends the run at
# --timeout instead of never, and a daemon that fails (exits non-zero, not by a signal: the
# --kill-restart SIGKILLs are expected) ends it at once, with the logs.
WATCH=(timeout "$((TIMEOUT - ($(date +%s) - T0)))" "$DIN" "${WATCH_ARGS[@]}")
if [ -n "$SUMMARY$EVENTS" ]; then
	EVENTS="${EVENTS:-$WORK/events.jsonl}"
	"${WATCH[@]}" --json-lines >"$EVENTS" 2>"$WORK/watch.log" &
else
	"${WATCH[@]}" 2>"$WORK/watch.log" &
fi
WATCH_PID=$!
while :; do
	status=0 ended=""
	wait -n -p ended || status=$?
	[ -n "$ended" ] || fail "lost track of the watcher (wait: $status)"
	[ "$ended" = "$WATCH_PID" ] && break
	daemon="${DAEMONS[$ended]:-}"
	if [ -n "$daemon" ] && [ "$status" -ne 0 ] && [ "$status" -lt 128 ]; then
		fail "$daemon exited with status $status before the task finished"
	fi
done
[ "$status" = 0 ] || fail "watch (exit $status; 124: the task did not finish within $TIMEOUT s)"
echo "==> task finished after $(( $(date +%s) - T0 )) s"
# An ended task has released its participant list; its rounds' updates are still on record.
updates=$("$DIN" task status --url "$(node_url 1)" --task "$TASK" --json |
	jq -c '[.progress[] | select(.global_model != null) | .updates]')
jq -e 'length > 0 and all(.[]; . > 0)' <<<"$updates" >/dev/null ||
	fail "din task status counts no update in a round of the ended task: $updates"
echo "    din task status after the end: updates per round $updates"
if [ -n "$TRY_RUNTIME" ]; then
	[ -f "$WORK/try-runtime-mid-task" ] || fail "the try-runtime checks did not run mid-task"
	try_runtime "after the task" after
fi
[ -z "$UPGRADE" ] || [ -f "$WORK/upgraded" ] ||
	fail "the task finished before the council's runtime upgrade was enacted (log: $WORK/upgrade.log)"

if [ -n "$SUMMARY" ]; then
	tail -n 1 "$EVENTS" | jq 'select(.event == "Summary") | del(.event)' >"$SUMMARY"
	[ -s "$SUMMARY" ] || fail "the watcher's last line is no summary: $(tail -n 1 "$EVENTS")"
fi
# The evaluators holding the global models have exited; `watch` fetched every one of them
# into its block store, so the final evaluation reads it from there.
"$DIN" model evaluate --task "$TASK" --data "$TEST_DATA" --store-dir "$WORK/watch-store" |
	tee "$WORK/final.txt"
if [ -n "${FINAL_JSON:-}" ]; then
	"$DIN" model evaluate --task "$TASK" --data "$TEST_DATA" --store-dir "$WORK/watch-store" \
		--json >"$FINAL_JSON" 2>"$WORK/final-json.log" || fail "din model evaluate --json"
fi
for log in "$WORK"/participant-*.log "$WORK"/evaluator-*.log; do
	if grep -q "panicked" "$log"; then fail "a daemon panicked ($log)"; fi
done
if [ "$SCORING" = zk ]; then
	# The task has ended, so its verifying key no longer binds it: the owner, who
	# registered the key, takes it back with its deposit.
	"$DIN" task unregister-key --suri //Alice --task "$TASK" >"$WORK/unregister-key.log" 2>&1 ||
		fail "din task unregister-key (log: $WORK/unregister-key.log)"
	grep -q "deposit of .* released" "$WORK/unregister-key.log" ||
		fail "din task unregister-key released no deposit: $(cat "$WORK/unregister-key.log")"
	echo "    $(cat "$WORK/unregister-key.log")"
fi
# Logs are files here, not terminals: no colour codes, no progress bars.
for log in "$WORK"/*.log; do
	if grep -q $'\e' "$log"; then fail "an escape character in $log"; fi
done
# The attackers take the last places; an inflater's submission is refused by the chain. A
# straggler (--straggler) may miss every round of a synchronous task: its deadline does not
# wait for it.
straggler=0
[ "$STRAGGLER" = 0 ] || straggler=$((P - ${#PARTICIPANT_ATTACKS[@]}))
for i in $(seq $((P - ${#PARTICIPANT_ATTACKS[@]}))); do
	submitted=$(submitted_in "$WORK/metrics-participant-$i.txt")
	[ "$submitted" -ge 1 ] || { [ "$i" = "$straggler" ] && [ "${#PACING[@]}" = 0 ]; } ||
		fail "participant $i's Prometheus endpoint never reported a submitted update (din_updates_submitted_total: $submitted)"
	# Evaluators dial the recorded store peer first for the participant's updates.
	peer=$("$DIN" stake show --url "$(node_url "$i")" --suri "${ACCOUNTS[$((i - 1))]}" --json |
		jq -r .store_peer)
	[[ "$peer" == /ip4/*/p2p/* ]] ||
		fail "participant $i recorded no store peer on chain (din stake show: $peer)"
done
echo "    every honest participant's /metrics counted its submitted updates, and its store peer is on chain"
if [ "$WORKER" = 1 ]; then
	curl -sf -m 5 "http://127.0.0.1:$NODE_METRICS_PORT/metrics" >"$WORK/node-metrics.txt" ||
		fail "the node's Prometheus endpoint does not answer"
	duties=$(sed -n 's/^din_worker_duties_total{duty="\([a-z_]*\)"[^}]*} \([0-9]*\)$/\1=\2/p' "$WORK/node-metrics.txt" | sort | tr '\n' ' ')
	grep -q '^din_worker_duties_total{duty="aggregate_commit"[^}]*} [1-9]' "$WORK/node-metrics.txt" ||
		fail "the node's Prometheus endpoint counts no aggregate the worker committed: $duties"
	grep -q '^din_worker_duties_total{duty="upload"[^}]*} [1-9]' "$WORK/node-metrics.txt" ||
		fail "the gateway stored no upload of the worker (is its signed upload refused?): $duties"
	echo "    the worker's duties on the node's /metrics: $duties"
fi
