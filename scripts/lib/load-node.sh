# The dev node of the load benchmarks (scripts/bench/load.sh, scripts/bench/scale.sh):
# `din-node --dev` (one authority, 3-second blocks) of PROFILE — release: the benchmark
# node scripts/bench/pallet-weights.sh builds, what validators run; debug: the workspace's
# dev-profile node — accepting thousands of watched submissions on one connection (a burst
# of a thousand transactions is a thousand submissions in flight). Needs env.sh,
# benchmark-runtime.sh, processes.sh and dev-chain.sh sourced, and WORK set. Sets NODE and
# PORT; returns once the node answers JSON-RPC.
#   start_load_node PROFILE VARIABLE    (VARIABLE: the setting that chose PROFILE, for errors)
start_load_node() {
	case "$1" in
		release)
			build_benchmark_node release
			NODE="$BENCHMARK_NODE"
			;;
		debug) NODE="$DIN_NODE" ;;
		*) echo "$2 is release or debug" >&2; exit 2 ;;
	esac
	PORT=$(free_port)
	"$NODE" --dev --base-path "$WORK/node" --rpc-port "$PORT" --port "$(free_port)" \
		--no-telemetry --no-prometheus --no-mdns --rpc-max-subscriptions-per-connection 4096 \
		>"$WORK/node.log" 2>&1 &
	PIDS+=($!)
	wait_json_rpc "http://127.0.0.1:$PORT" chain_getHeader "$WORK/node.log"
}
