#!/usr/bin/env bash
# Runs every DIN pallet's benchmarks once against its test mock (`impl_benchmark_test_suite!`,
# `runtime-benchmarks` on), so a benchmark that panics or no longer compiles is found in
# about a minute instead of by `pallet-weights.sh` after its long node build.
#
#   scripts/bench/check-benchmarks.sh
#
# It builds in a target dir of its own (`$CARGO_TARGET_DIR-check-bench`): the feature changes
# the whole FRAME stack's features, and the test build stays warm. Not part of
# scripts/test.sh: from empty caches that build costs about a quarter of an hour, which the
# fresh-machine CI budget (docs/fresh-machine.md) has no room for; pallet-weights.sh runs it
# first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
cd "$DIN_ROOT"
CARGO_TARGET_DIR="${DIN_CHECK_BENCH_TARGET_DIR:-$CARGO_TARGET_DIR-check-bench}" with_heartbeat \
	"cargo test (runtime-benchmarks)" cargo test --locked --features runtime-benchmarks \
	-p pallet-din-staking -p pallet-din-tasks -p pallet-din-evaluation -p pallet-din-rewards \
	-p pallet-din-validators \
	--lib -- benchmark
