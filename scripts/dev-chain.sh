#!/usr/bin/env bash
# A local DIN dev chain for dApp development, until Ctrl-C: `din-node --dev` (Substrate
# RPC on ws://127.0.0.1:9944) and eth-rpc in front of it (Ethereum JSON-RPC on
# http://127.0.0.1:8545, chain id 420420420) for MetaMask, ethers, viem or Foundry.
# The chain starts empty each time; the well-known dev keys (alith, baltathar, …) are
# endowed. Ports: DIN_RPC_PORT, DIN_ETH_PORT.
set -euo pipefail
source "$(dirname "$0")/env.sh"

"$DIN_ROOT/scripts/setup.sh" eth-rpc
din_build

WORK="$(mktemp -d)"
source "$DIN_ROOT/scripts/lib/processes.sh"
source "$DIN_ROOT/scripts/lib/dev-chain.sh"
NODE_PORT="${DIN_RPC_PORT:-9944}"
ETH_PORT="${DIN_ETH_PORT:-8545}"
start_dev_chain "$NODE_PORT" "$ETH_PORT"

cat <<INFO
==> DIN dev chain running (logs in $WORK, removed on exit; KEEP_WORK=1 keeps them)
    Substrate RPC   ws://127.0.0.1:$NODE_PORT     (din --url ws://127.0.0.1:$NODE_PORT …)
    Ethereum RPC    http://127.0.0.1:$ETH_PORT    chain id 420420420
    dev key alith   0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133
    DIN precompile  0x000000000000000000000000000000000d100000 (pallets/precompile/IDin.sol)
Ctrl-C stops both.
INFO
wait -n "${PIDS[@]}"
echo "a dev-chain process exited; see $WORK" >&2
exit 1
