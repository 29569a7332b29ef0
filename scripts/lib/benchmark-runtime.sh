# What `din-node benchmark pallet` needs (scripts/env.sh must be sourced first):
#   build_benchmark_node PROFILE       # din-node with `benchmark-cli`; sets BENCHMARK_NODE
#   build_benchmark_runtime PROFILE    # the runtime wasm with `runtime-benchmarks`; sets
#                                      # BENCHMARK_RUNTIME to its path
#
# Both are built in a target dir of their own (DIN_BENCH_TARGET_DIR, default the test
# build's with `-bench` appended): the `benchmark-cli` feature changes the features of most
# of the FRAME stack, so building it in the shared target dir would rebuild the test build
# twice, once to switch it on and once to switch it off.
export DIN_BENCH_TARGET_DIR="${DIN_BENCH_TARGET_DIR:-$CARGO_TARGET_DIR-bench}"

build_benchmark_node() {
	local profile="$1" flag=()
	[ "$profile" = release ] && flag=(--release)
	# frame-benchmarking-cli brings frame-storage-access-test-runtime, whose wasm only
	# `benchmark storage` runs. Its wasm-builder looks the crate up in this workspace's
	# `cargo metadata` (WASM_BUILD_WORKSPACE_HINT), which resolves default features only and
	# so lacks it ("Failed to find entry for package"): skip that one wasm.
	(cd "$DIN_ROOT" && SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1 \
		CARGO_TARGET_DIR="$DIN_BENCH_TARGET_DIR" with_heartbeat "cargo build din-node (benchmark-cli)" \
		cargo build --locked "${flag[@]}" -p din-node --features benchmark-cli)
	BENCHMARK_NODE="$DIN_BENCH_TARGET_DIR/$profile/din-node"
}

# The benchmark runtime: the runtime wasm with `runtime-benchmarks`
# (scripts/lib/runtime-variant.sh). pallet-revive's benchmark fixtures need solc; DIN's
# benchmarks do not use them (revive's own benchmarks are not run here), so they are
# skipped.
source "$DIN_ROOT/scripts/lib/runtime-variant.sh"
build_benchmark_runtime() {
	local profile="$1"
	local wbuild="$DIN_BENCH_TARGET_DIR/$profile/wbuild/din-runtime"
	[ -f "$wbuild/Cargo.toml" ] || { echo "missing $wbuild: run build_benchmark_node first" >&2; return 1; }
	SKIP_PALLET_REVIVE_FIXTURES=1 build_runtime_variant "$wbuild" runtime-benchmarks || return 1
	BENCHMARK_RUNTIME="$RUNTIME_VARIANT"
}
