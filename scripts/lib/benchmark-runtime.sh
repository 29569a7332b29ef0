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

# The benchmark runtime: a copy of the project substrate-wasm-builder generated for the normal runtime (under
# `$DIN_BENCH_TARGET_DIR/<profile>/wbuild/din-runtime`) with that feature switched on,
# compiled into the same wasm target dir. Only the crates whose features change are
# rebuilt and the native build is untouched (switching the feature on for the workspace
# would recompile the whole native FRAME stack, and again when it is switched off).
build_benchmark_runtime() {
	local profile="$1"
	local wbuild="$DIN_BENCH_TARGET_DIR/$profile/wbuild/din-runtime"
	[ -f "$wbuild/Cargo.toml" ] || { echo "missing $wbuild: run build_benchmark_node first" >&2; return 1; }
	local project="$DIN_BENCH_TARGET_DIR/wbuild-bench"
	mkdir -p "$project/src"
	# The workspace lock: it pins every optional dependency too, so nothing re-resolves.
	cp "$DIN_ROOT/Cargo.lock" "$project/"
	cp "$wbuild/src/lib.rs" "$project/src/"
	# Same project, the feature on, another package and library name (so that its output
	# never overwrites the normal runtime's wasm in the shared target dir).
	sed -e 's/^features = \[\]/features = ["runtime-benchmarks"]/' \
		-e 's/^name = "din-runtime-blob"/name = "din-runtime-benchmarks-blob"/' \
		-e 's/^name = "din_runtime"/name = "din_runtime_benchmarks"/' \
		"$wbuild/Cargo.toml" > "$project/Cargo.toml"
	grep -q 'features = \["runtime-benchmarks"\]' "$project/Cargo.toml" \
		|| { echo "unexpected wasm-builder project layout in $wbuild/Cargo.toml" >&2; return 1; }
	# The flags substrate-wasm-builder passes for this target. pallet-revive's benchmark
	# fixtures need solc; DIN's benchmarks do not use them (revive's own benchmarks are
	# not run here), so they are skipped. The project lies outside the repository, so
	# name the pinned toolchain.
	local toolchain
	toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$DIN_ROOT/rust-toolchain.toml")"
	(
		cd "$project"
		env -u CARGO_ENCODED_RUSTFLAGS -u RUSTC \
			RUSTUP_TOOLCHAIN="$toolchain" \
			CARGO_TARGET_DIR="$wbuild/target" \
			SKIP_PALLET_REVIVE_FIXTURES=1 \
			RUSTFLAGS="-C link-arg=--export-table -C link-arg=--export=__heap_base -C link-arg=--import-memory --cfg substrate_runtime " \
			cargo rustc --target=wasm32v1-none --manifest-path=Cargo.toml --profile release
	) || return 1
	BENCHMARK_RUNTIME="$wbuild/target/wasm32v1-none/release/din_runtime_benchmarks.wasm"
	[ -f "$BENCHMARK_RUNTIME" ] || { echo "missing $BENCHMARK_RUNTIME" >&2; return 1; }
}
