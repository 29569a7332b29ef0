#!/usr/bin/env bash
# Regenerates client/chain/metadata/din.scale, the din-runtime metadata (V16, SCALE) that
# din-chain's typed API is generated from. Run it when `committed_metadata_is_current`
# (client/chain/tests/metadata.rs) fails, i.e. after a change to a pallet's calls, storage,
# events, errors or constants, or to the runtime's composition; then fix whatever the
# compiler reports in client/chain/src when din-chain is rebuilt from the new file.
#
# The metadata comes from the native runtime (`Runtime::metadata_at_version(16)` over empty
# state), written by that test when DIN_WRITE_METADATA=1. Cargo runs on the package set every
# script uses (a name filter picks the test), so nothing is rebuilt for other features.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$DIN_ROOT"

echo "==> build (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
din_build

echo "==> write client/chain/metadata/din.scale"
DIN_WRITE_METADATA=1 cargo test "${DIN_TARGETS[@]}" -- --exact committed_metadata_is_current

echo "==> rebuild din-chain from it and check"
cargo test "${DIN_TARGETS[@]}" -- --exact committed_metadata_is_current mirrored_bounds_match_the_runtime
git -C "$DIN_ROOT" status --short client/chain/metadata
