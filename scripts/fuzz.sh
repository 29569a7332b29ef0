#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of every decoder that takes bytes from
# a peer, an artifact or a contract: the update encoding, the model spec, the sealed test
# set, the store's manifest and its block wire codec, the DIN precompile's calldata
# (fuzz/fuzz_targets/). Each target first replays its kept regression inputs
# (fuzz/regressions/<target>/: inputs that once crashed it), then runs for FUZZ_SECONDS
# (default 30) from the committed seeds (fuzz/seeds/<target>/, written by
# `cargo run --manifest-path fuzz/Cargo.toml --bin seeds fuzz/seeds`). A crash fails the
# run and leaves the input in fuzz/artifacts/<target>/: fix the decoder, then move the
# input to fuzz/regressions/.
#
#   scripts/fuzz.sh                 # every target, 30 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh manifest
#
# The targets are built without a sanitizer (`-s none`: the decoders are safe Rust, and a
# stable toolchain builds them) but with debug assertions and overflow checks, in their
# own target dir, so the instrumented build never touches the workspace's.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$DIN_ROOT/scripts/setup.sh" fuzz
cd "$DIN_ROOT/fuzz"
PATH="$(dirname "$CARGO_FUZZ"):$PATH"
export CARGO_TARGET_DIR="$CARGO_TARGET_DIR-fuzz"
seconds="${FUZZ_SECONDS:-30}"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(update model_spec sealed_test_set manifest block_wire precompile_calldata)

for target in "${targets[@]}"; do
	with_heartbeat "cargo fuzz build $target" \
		cargo fuzz build --sanitizer none --release "$target" 2>&1 | tail -3
done
for target in "${targets[@]}"; do
	mkdir -p "corpus/$target" "artifacts/$target"
	binary="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/$target"
	if compgen -G "regressions/$target/*" >/dev/null; then
		stage "$target: replaying $(ls "regressions/$target" | wc -l) kept regression input(s)"
		"$binary" regressions/"$target"/* >"artifacts/replay-$target.log" 2>&1 || {
			tail -20 "artifacts/replay-$target.log" >&2
			die "$target: a kept regression input breaks it again"
		}
	fi
	corpus="corpus/$target"
	cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true
	stage "$target: fuzzing for ${seconds} s from $(ls "$corpus" | wc -l) corpus input(s)"
	"$binary" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
		-artifact_prefix="artifacts/$target/" -print_final_stats=1 2>&1 |
		grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|panicked|Test unit written)' ||
		true
	if compgen -G "artifacts/$target/crash-*" >/dev/null || compgen -G "artifacts/$target/oom-*" >/dev/null; then
		die "$target: the fuzzer found an input that breaks it: $(ls artifacts/"$target"/ | head -3)"
	fi
done
stage "fuzzing: ${#targets[@]} target(s), no crash"
