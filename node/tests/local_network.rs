//! Two validators of the `local` chain, alice and bob as separate processes, produce
//! blocks together and agree on finality. The chain spec is the `local` preset cut down
//! to these two validators, exactly the customization zombienet applies. And the
//! `production` template: it does not build until its founders name validators, and filled
//! in it runs with no sudo key.

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

/// `build-spec --chain CHAIN [--raw]`: the spec, or the node's error output.
fn build_spec(chain: &str, raw: bool) -> Result<Value, String> {
	let mut args = vec!["build-spec", "--chain", chain, "--disable-default-bootnode"];
	if raw {
		args.push("--raw");
	}
	let out = Command::new(NODE_BIN).args(&args).output().expect("din-node build-spec runs");
	if !out.status.success() {
		return Err(String::from_utf8_lossy(&out.stderr).into_owned());
	}
	Ok(serde_json::from_slice(&out.stdout).expect("chain spec is JSON"))
}

/// The error output of a `din-node` that must refuse to start with `args`; one that is
/// still running after four minutes is killed and fails the test (it refuses once its
/// runtime is compiled and the genesis built: about 20 s here, over a minute beside CI's
/// other jobs).
fn refusal_to_start(args: &[&str]) -> String {
	let mut child = Command::new(NODE_BIN)
		.args(args)
		.args(["--rpc-port", &common::free_port().to_string(), "--no-prometheus"])
		.args(["--no-telemetry", "--no-mdns", "--port", &common::free_port().to_string()])
		.stdout(std::process::Stdio::null())
		.stderr(std::process::Stdio::piped())
		.spawn()
		.expect("din-node starts");
	let deadline = std::time::Instant::now() + Duration::from_secs(240);
	while child.try_wait().expect("din-node's status").is_none() {
		if std::time::Instant::now() > deadline {
			let _ = child.kill();
			let _ = child.wait();
			panic!("din-node {args:?} was still running after four minutes");
		}
		std::thread::sleep(Duration::from_millis(200));
	}
	let status = child.wait().expect("din-node's status");
	let mut stderr = String::new();
	std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut stderr)
		.expect("din-node's error output");
	assert!(!status.success(), "din-node {args:?} exited successfully\n{stderr}");
	stderr
}

/// The storage key of a plain storage value, `twox128(pallet) ++ twox128(item)`, as hex.
fn value_key(pallet: &str, item: &str) -> String {
	use polkadot_sdk::sp_io::hashing::twox_128;
	format!("0x{}{}", hex(&twox_128(pallet.as_bytes())), hex(&twox_128(item.as_bytes())))
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_production_template_runs_once_filled_in_and_has_no_sudo_key() {
	let template = build_spec("production", false).expect("the template builds as a patch");
	let patch = template.pointer("/genesis/runtimeGenesis/patch").expect("a preset patch");
	assert!(patch.get("sudo").is_none(), "no sudo key: {patch}");
	for field in ["/session/keys", "/councilMembership/members", "/balances/balances"] {
		let value = patch.pointer(field).unwrap_or_else(|| panic!("the template lists {field}"));
		assert_eq!(value, &serde_json::json!([]), "{field} is for the founders to fill in");
	}
	let refused = refusal_to_start(&["--chain", "production", "--tmp"]);
	assert!(refused.contains("the chain has no validators"), "{refused}");

	// One founder fills it in: Alice validates (the local preset's entry for her keys),
	// the local chain's council, and Alice's balance.
	let local = build_spec("local", false).expect("the local preset builds");
	let local = local.pointer("/genesis/runtimeGenesis/patch").expect("a preset patch");
	let alice_keys = local.pointer("/session/keys/0").expect("alice's session keys").clone();
	let alice = alice_keys[0].clone();
	let mut spec = template.clone();
	let patch = spec.pointer_mut("/genesis/runtimeGenesis/patch").expect("a preset patch");
	patch["session"]["keys"] = serde_json::json!([alice_keys]);
	patch["councilMembership"]["members"] = local["councilMembership"]["members"].clone();
	patch["balances"]["balances"] = serde_json::json!([[alice, 1_000_000_000_000_000u64]]);
	let dir = tempfile::tempdir().expect("temp dir");
	let path = dir.path().join("production.json");
	std::fs::write(&path, serde_json::to_vec_pretty(&spec).expect("serializes")).expect("write");

	// A live chain's validator needs a persistent network key.
	let node_key = format!("{:064x}", 1);
	let spec = path.to_str().expect("utf-8 path");
	let mut node = Node::start(
		"alice",
		dir.path(),
		&["--chain", spec, "--alice", "--validator", "--node-key", &node_key],
	);
	node.wait_for("a finalized block", Duration::from_secs(240), |n| {
		n.finalized().filter(|(_, number)| *number >= 1)
	});
	let read = |pallet: &str, item: &str| {
		node.rpc("state_getStorage", serde_json::json!([value_key(pallet, item)]))
			.expect("state_getStorage answers")
	};
	assert!(read("Council", "Members").is_string(), "the founders' council is seated");
	assert!(read("Sudo", "Key").is_null(), "no sudo key on the production chain");
}
