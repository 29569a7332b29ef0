# A dev chain for Ethereum tooling: `din-node --dev` and eth-rpc in front of it, as
# background processes of the sourcing script (scripts/lib/processes.sh must be sourced
# first). Returns once both answer JSON-RPC.
#   start_dev_chain NODE_RPC_PORT ETH_RPC_PORT

wait_json_rpc() { # url, method, log to show on failure
	for _ in $(seq 120); do
		curl -s -m 2 -H 'Content-Type: application/json' \
			-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":[]}" "$1" |
			grep -q '"result"' && return 0
		sleep 1
	done
	echo "FAILED: nothing answers $2 at $1" >&2
	tail -20 "$3" >&2
	return 1
}

start_dev_chain() {
	local node_port="$1" eth_port="$2"
	"$DIN_NODE" --dev --base-path "$WORK/node" --rpc-port "$node_port" --port "$(free_port)" \
		--no-telemetry --no-prometheus --no-mdns >"$WORK/node.log" 2>&1 &
	PIDS+=($!)
	wait_json_rpc "http://127.0.0.1:$node_port" chain_getHeader "$WORK/node.log"
	# --eth-pruning keeps eth-rpc's receipt index in memory (the last 1000 blocks).
	"$ETH_RPC" --dev --node-rpc-url "ws://127.0.0.1:$node_port" --rpc-port "$eth_port" \
		--eth-pruning 1000 --no-prometheus >"$WORK/eth-rpc.log" 2>&1 &
	PIDS+=($!)
	wait_json_rpc "http://127.0.0.1:$eth_port" eth_chainId "$WORK/eth-rpc.log"
}
