#!/usr/bin/env bash
# Loopback transfer throughput of a 100 MiB artifact between two din-store peers
# (libp2p: TCP + Noise + Yamux, /din/block/1, hash-checked, stored) against a raw TCP copy
# of the same bytes in the same run. Prints MB/s of both and the ratio (goal >= 0.5x).
#   DIN_BENCH_MIB=100 DIN_BENCH_ROUNDS=3 scripts/bench/store_throughput.sh
set -euo pipefail
source "$(dirname "$0")/../env.sh"
cd "$DIN_ROOT"
cargo bench -p din-store --bench store_throughput "$@"
