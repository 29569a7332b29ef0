#!/usr/bin/env bash
# Loopback transfer of a 100 MiB artifact between two din-store peers (libp2p: TCP + Noise +
# Yamux, /din/block/1, hash-checked; then a whole `Store::get` with its DHT lookup and
# unflushed cache writes) against a raw TCP copy of the same bytes in the same run, and the
# latency of a 256 KiB artifact from a connected provider (with and without a DHT lookup) against a
# raw TCP fetch. Prints two Markdown tables of medians and ratios; with --write it also
# replaces the generated section of docs/benchmarks.md.
#   DIN_BENCH_MIB=100 DIN_BENCH_ROUNDS=7 scripts/bench/store_throughput.sh [--write]
set -euo pipefail
source "$(dirname "$0")/../env.sh"
cd "$DIN_ROOT"
source scripts/lib/generated-section.sh
WRITE=0
[ "${1:-}" = --write ] && WRITE=1
OUT="$(mktemp)"
TABLE="$(mktemp)"
trap 'rm -f "$OUT" "$TABLE"' EXIT
cargo bench --locked -p din-store --bench store_throughput | tee "$OUT"
{
	echo "Medians; $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; MB/s = 10^6 bytes/s."
	echo
	sed -n '/^| /,$p' "$OUT"
} >"$TABLE"
if [ "$WRITE" = 1 ]; then
	replace_generated_section docs/benchmarks.md store-throughput "$TABLE"
fi
