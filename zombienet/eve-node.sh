#!/usr/bin/env bash
# din-node with //Eve's session keys in its keystore (`--eve`), for the two Eve nodes of
# validators.toml: zombienet strips dev-account flags from a node's `args` unless the node
# is a genesis validator of that name, which Eve must not be.
exec "$DIN_NODE" --eve "$@"
