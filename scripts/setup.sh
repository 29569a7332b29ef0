#!/usr/bin/env bash
# Installs every system prerequisite of DIN, idempotently: safe to run before every
# demo or test. Each step checks first and only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# System packages: protoc (libp2p / litep2p protobufs), clang + libclang (bindgen,
# wasm-opt's C++), mold (the linker .cargo/config.toml selects), pkg-config + libssl.
APT_PACKAGES=(protobuf-compiler clang libclang-dev mold pkg-config libssl-dev make cmake curl jq python3)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "apt install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Rust: the toolchain pinned in rust-toolchain.toml with its wasm target and rust-src.
# rustup is asked from / so that the pin does not make it fail before the install.
if command -v rustup >/dev/null; then
  toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
  (
    cd /
    if ! rustup toolchain list | grep -q "^${toolchain}-"; then
      log "rustup toolchain install ${toolchain}"
      rustup toolchain install "${toolchain}" --profile minimal
    fi
    rustup +"${toolchain}" target list --installed | grep -qx wasm32v1-none \
      || rustup +"${toolchain}" target add wasm32v1-none
    rustup +"${toolchain}" component list --installed | grep -q '^rust-src' \
      || rustup +"${toolchain}" component add rust-src
  )
fi
# eth-rpc (Ethereum JSON-RPC for dApps and scripts/evm-test.sh), once per version into
# $DIN_TOOLS. Not a workspace member: its sc-cli/sc-service default features (rocksdb)
# would be unified into din-node's build. Its own target dir keeps an interrupted build
# resumable. About 35 min cold on 2 cores, then cached.
source scripts/env.sh
if [ ! -x "$ETH_RPC" ]; then
  log "cargo install pallet-revive-eth-rpc $ETH_RPC_VERSION into $DIN_TOOLS (once)"
  SKIP_WASM_BUILD=1 CARGO_TARGET_DIR="$HOME/.cache/din/tools-target" \
    cargo install --locked --quiet pallet-revive-eth-rpc --version "$ETH_RPC_VERSION" \
    --root "$DIN_TOOLS/eth-rpc-$ETH_RPC_VERSION"
fi
# Node packages: zombienet (pinned in zombienet/package-lock.json).
if command -v npm >/dev/null && [ ! -x zombienet/node_modules/.bin/zombienet ]; then
  log "npm ci (zombienet)"
  (cd zombienet && npm ci --no-audit --no-fund --loglevel=error)
fi
# Node packages: solc, OpenZeppelin and ethers for contracts/ (contracts/package-lock.json).
if command -v npm >/dev/null && [ ! -d contracts/node_modules/solc ]; then
  log "npm ci (contracts)"
  (cd contracts && npm ci --no-audit --no-fund --loglevel=error)
fi
log "system prerequisites present"
