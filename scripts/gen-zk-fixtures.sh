#!/usr/bin/env bash
# Regenerates the Groth16 test vectors of pallet-din-evaluation (keys, proofs, commitments
# and the generated `fixtures.rs`) into pallets/evaluation/src/fixtures. Deterministic: a
# re-run writes byte-identical files (seeds in client/zk/examples/pallet_fixtures.rs), and
# `cargo test -p din-zk --test fixtures` fails while the checked-in files are stale.
#
# Only din-zk is built (the example and its dev-dependencies), not the workspace: this runs
# rarely, and building the node for it would cost far more than din-zk's own feature set.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$DIN_ROOT"

out="$DIN_ROOT/pallets/evaluation/src/fixtures"
echo "==> pallet fixtures into $out (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
cargo run --locked -p din-zk --example pallet_fixtures -- "$out"
