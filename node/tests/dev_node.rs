//! `din-node --dev` produces and finalizes blocks, and its metadata lists the runtime's
//! pallets. A real node process on free loopback ports.

mod common;

use common::Node;
use serde_json::json;
use std::time::Duration;

/// SCALE encoding of a short string: compact length (len·4 for len < 64), then the bytes;
/// that is how pallet names appear in the metadata.
fn scale_str_hex(name: &str) -> String {
	let mut bytes = vec![(name.len() as u8) << 2];
	bytes.extend_from_slice(name.as_bytes());
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn dev_node_produces_and_finalizes_blocks() {
	let dir = tempfile::tempdir().expect("temp dir");
	let mut node = Node::start("dev", dir.path(), &["--dev"]);

	let (first_hash, first) =
		node.wait_for("a finalized block > 0", Duration::from_secs(180), |n| {
			n.finalized().filter(|(_, number)| *number > 0)
		});
	// Finality keeps advancing, not just a one-off.
	let (later_hash, later) = node.wait_for("finality to advance", Duration::from_secs(120), |n| {
		n.finalized().filter(|(_, number)| *number > first)
	});
	assert_ne!(first_hash, later_hash);
	assert!(node.best_number().expect("best header") >= later);

	let metadata = node.rpc("state_getMetadata", json!([])).expect("metadata");
	let metadata = metadata.as_str().expect("hex string");
	for pallet in [
		"System",
		"Timestamp",
		"Balances",
		"Babe",
		"Grandpa",
		"TransactionPayment",
		"Sudo",
		"Revive",
		"Session",
	] {
		assert!(metadata.contains(&scale_str_hex(pallet)), "metadata lacks pallet {pallet}");
	}

	let health = node.rpc("system_health", json!([])).expect("system_health");
	assert_eq!(health["isSyncing"], json!(false), "a lone dev node is not syncing");
}
