#!/usr/bin/env bash
# Installs the system prerequisites of DIN, idempotently: safe to run before every demo or
# test. Each step checks first and only installs what is missing, and each command pays
# only for what it runs:
#
#   scripts/setup.sh            # build and demo: apt packages, the pinned Rust toolchain
#   scripts/setup.sh test       # + Node.js packages (contract, browser and zombienet tests),
#                               #   Chromium (browser tests), cargo-fuzz
#   scripts/setup.sh fuzz       # + cargo-fuzz (scripts/fuzz.sh; ~2 min cold, then cached)
#   scripts/setup.sh eth-rpc    # + eth-rpc (Ethereum JSON-RPC; ~20 min cold, then cached)
#   scripts/setup.sh all        # everything
#
# What cannot be installed from here (rustup, Node.js) is checked first, so a missing
# prerequisite fails at once with its name instead of after a long build.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$DIN_ROOT"

want_node=0 want_eth_rpc=0 want_fuzz=0
for purpose in "${@:-build}"; do
	case "$purpose" in
		build | demo) ;;
		test) want_node=1 want_fuzz=1 ;;
		fuzz) want_fuzz=1 ;;
		eth-rpc) want_eth_rpc=1 ;;
		all) want_node=1 want_eth_rpc=1 want_fuzz=1 ;;
		*) die "scripts/setup.sh: unknown purpose '$purpose' (build, test, fuzz, eth-rpc, all)" ;;
	esac
done
log() { echo "[setup] $*" >&2; }

# --- checks: what this script cannot install ---
command -v rustup >/dev/null && command -v cargo >/dev/null ||
	die "rustup and cargo are needed (the toolchain is pinned in rust-toolchain.toml); install rustup, then rerun"
if [ "$want_node" = 1 ]; then
	command -v node >/dev/null && command -v npm >/dev/null ||
		die "Node.js (node and npm, version 18 or later) is needed for the contract and zombienet tests; install it (Debian: apt-get install nodejs npm), then rerun"
	node_major="$(node -p 'process.versions.node.split(".")[0]')"
	[ "$node_major" -ge 18 ] || die "Node.js 18 or later is needed, found $(node --version)"
fi

# --- system packages: protoc (libp2p / litep2p protobufs), clang + libclang (the linker
# driver, bindgen, and the C and C++ of -sys crates), mold (the linker .cargo/config.toml
# selects), pkg-config + libssl, jq / curl / python3 / zstd (the scripts) ---
APT_PACKAGES=(protobuf-compiler clang libclang-dev mold pkg-config libssl-dev make cmake curl jq python3 zstd)
# The test command's browser tests drive Debian's Chromium (scripts/dashboard-e2e.sh).
if [ "$want_node" = 1 ]; then APT_PACKAGES+=(chromium); fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	command -v apt-get >/dev/null ||
		die "missing system packages: ${missing[*]}; this script installs them with apt-get, which is not here: install them with your package manager, then rerun"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "installing ${missing[*]} needs root (or sudo)"
		SUDO="sudo"
	fi
	log "apt-get install ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Rust: the toolchain pinned in rust-toolchain.toml with its wasm target and rust-src.
# rustup is asked from / so that the pin does not make it fail before the install ---
toolchain="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
(
	cd /
	if ! rustup toolchain list | grep -q "^${toolchain}-"; then
		log "rustup toolchain install ${toolchain}"
		rustup toolchain install "${toolchain}" --profile minimal
	fi
	rustup +"${toolchain}" target list --installed | grep -qx wasm32v1-none ||
		rustup +"${toolchain}" target add wasm32v1-none
	# rust-src for the wasm build; rustfmt for the test command's format check (a
	# toolchain installed with the minimal profile has neither).
	for component in rust-src rustfmt; do
		rustup +"${toolchain}" component list --installed | grep -q "^${component}" ||
			rustup +"${toolchain}" component add "${component}"
	done
)

# --- Node.js packages, pinned by their package-lock.json: zombienet; solc, OpenZeppelin
# and ethers for contracts/; playwright-core and ethers for the dashboard's browser tests ---
if [ "$want_node" = 1 ]; then
	for dir in zombienet contracts client/cli/dashboard; do
		if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
			[ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
			log "npm ci ($dir)"
			(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
		fi
	done
fi

# --- cargo-fuzz: for scripts/fuzz.sh (a stage of the test command) ---
if [ "$want_fuzz" = 1 ] && [ ! -x "$CARGO_FUZZ" ]; then
	log "cargo install cargo-fuzz $CARGO_FUZZ_VERSION into $DIN_TOOLS"
	CARGO_TARGET_DIR="$DIN_TOOLS_TARGET" with_heartbeat "cargo-fuzz install" \
		cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" \
		--root "$DIN_TOOLS/cargo-fuzz-$CARGO_FUZZ_VERSION"
fi

# --- eth-rpc: only for the steps that use it (scripts/evm-test.sh, scripts/dev-chain.sh) ---
if [ "$want_eth_rpc" = 1 ]; then
	install_eth_rpc
fi
log "prerequisites present (${*:-build})"
