# A variant of the runtime wasm: the same runtime with one more din-runtime feature
# (scripts/env.sh must be sourced first).
#   build_runtime_variant WBUILD FEATURE   # sets RUNTIME_VARIANT to the wasm's path
#
# WBUILD is the project substrate-wasm-builder generated for the normal runtime
# (`<target dir>/<profile>/wbuild/din-runtime`); the variant is a copy of it with FEATURE
# switched on, compiled into the same wasm target dir, so only the crates whose features
# change are rebuilt and the native build is untouched (switching the feature on for the
# workspace would recompile the whole native FRAME stack, and again when it is switched
# off). Extra environment for the build (`SKIP_PALLET_REVIVE_FIXTURES=1`) passes through.
build_runtime_variant() {
	local wbuild="$1" feature="$2"
	[ -f "$wbuild/Cargo.toml" ] || { echo "missing $wbuild: build the runtime first" >&2; return 1; }
	local lib="din_runtime_${feature//-/_}"
	local project="${wbuild%/*/wbuild/din-runtime}/wbuild-$feature"
	mkdir -p "$project/src"
	# The workspace lock: it pins every optional dependency too, so nothing re-resolves.
	cp "$DIN_ROOT/Cargo.lock" "$project/"
	cp "$wbuild/src/lib.rs" "$project/src/"
	# Same project, the feature on, another package and library name (so that its output
	# never overwrites the normal runtime's wasm in the shared target dir).
	sed -e "s/^features = \[\]/features = [\"$feature\"]/" \
		-e "s/^name = \"din-runtime-blob\"/name = \"din-runtime-$feature-blob\"/" \
		-e "s/^name = \"din_runtime\"/name = \"$lib\"/" \
		"$wbuild/Cargo.toml" > "$project/Cargo.toml"
	grep -q "features = \[\"$feature\"\]" "$project/Cargo.toml" \
		|| { echo "unexpected wasm-builder project layout in $wbuild/Cargo.toml" >&2; return 1; }
	# The flags substrate-wasm-builder passes for this target, run from the repository as
	# the runtime's build script runs it: the repository's .cargo/config.toml (the host
	# linker) is part of every host crate's fingerprint, and from elsewhere every build
	# script and proc macro of the runtime would be rebuilt.
	(
		cd "$DIN_ROOT"
		env -u CARGO_ENCODED_RUSTFLAGS -u RUSTC \
			CARGO_TARGET_DIR="$wbuild/target" \
			RUSTFLAGS="-C link-arg=--export-table -C link-arg=--export=__heap_base -C link-arg=--import-memory --cfg substrate_runtime " \
			cargo rustc --target=wasm32v1-none --manifest-path="$project/Cargo.toml" --profile release
	) || return 1
	RUNTIME_VARIANT="$wbuild/target/wasm32v1-none/release/$lib.wasm"
	[ -f "$RUNTIME_VARIANT" ] || { echo "missing $RUNTIME_VARIANT" >&2; return 1; }
}
