//! Two validators of the `local` chain, alice and bob as separate processes, produce
//! blocks together and agree on finality. The chain spec is the `local` preset cut down
//! to these two validators, exactly the customization zombienet applies.

mod common;

use common::{Node, NODE_BIN};
use serde_json::Value;
use std::{process::Command, time::Duration};

/// `build-spec --chain local`, with `session.keys` reduced to the first `validators`.
fn two_validator_spec(dir: &std::path::Path) -> std::path::PathBuf {
	let out = Command::new(NODE_BIN)
		.args(["build-spec", "--chain", "local", "--disable-default-bootnode"])
		.output()
		.expect("din-node build-spec runs");
	assert!(out.status.success(), "build-spec failed: {}", String::from_utf8_lossy(&out.stderr));
	let mut spec: Value = serde_json::from_slice(&out.stdout).expect("chain spec is JSON");
	let keys = spec
		.pointer_mut("/genesis/runtimeGenesis/patch/session/keys")
		.and_then(Value::as_array_mut)
		.expect("the local preset lists session keys");
	assert_eq!(keys.len(), 4, "local preset has alice, bob, charlie, dave");
	keys.truncate(2);
	let path = dir.join("two-validators.json");
	std::fs::write(&path, serde_json::to_vec_pretty(&spec).expect("serializes"))
		.expect("write spec");
	path
}

#[test]
fn alice_and_bob_finalize_the_same_chain() {
	let dir = tempfile::tempdir().expect("temp dir");
	let spec = two_validator_spec(dir.path());
	let spec = spec.to_str().expect("utf-8 path");

	// Validators must have a persistent network key; fixed ones keep the test reproducible.
	let alice_key = format!("{:064x}", 1);
	let bob_key = format!("{:064x}", 2);
	let mut alice = Node::start(
		"alice",
		dir.path(),
		&["--chain", spec, "--alice", "--validator", "--node-key", &alice_key],
	);
	let bootnode = alice.multiaddr();
	let mut bob = Node::start(
		"bob",
		dir.path(),
		&[
			"--chain",
			spec,
			"--bob",
			"--validator",
			"--node-key",
			&bob_key,
			"--bootnodes",
			&bootnode,
		],
	);

	let timeout = Duration::from_secs(240);
	bob.wait_for("bob to see alice", timeout, |n| {
		let peers = n.rpc("system_health", serde_json::json!([])).ok()?["peers"].as_u64()?;
		(peers >= 1).then_some(())
	});
	// GRANDPA needs both of the two votes: finality past block 2 proves both vote.
	let (_, target) = alice.wait_for("alice to finalize past #2", timeout, |n| {
		n.finalized().filter(|(_, number)| *number > 2)
	});
	bob.wait_for("bob to finalize the same height", timeout, |n| {
		n.finalized().filter(|(_, number)| *number >= target)
	});

	// Same height ⇒ same block: compare the canonical hash at `target` on both.
	let hash_at = |n: &Node| {
		n.rpc("chain_getBlockHash", serde_json::json!([target]))
			.expect("block hash at a finalized height")
	};
	assert_eq!(hash_at(&alice), hash_at(&bob), "alice and bob finalized different blocks");
}
