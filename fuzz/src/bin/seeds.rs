//! Writes one valid input per fuzz target into `corpus/<target>/`, so that each run starts
//! past the magic bytes and version checks and mutates real structure from its first
//! second. `scripts/fuzz.sh` runs it before the targets.

use din_fl::{
	sealed_test_set::{encode_test_set, seal},
	spec::{ModelSpec, TaskModel},
	Preprocessing, TestSet, TrainingRecipe, Update,
};
use alloy_sol_types::{private::U256, sol, SolInterface};
use din_store::dag::{chunk, manifest_cid, Manifest, MANIFEST_VERSION};
use std::{fs, path::Path};

sol!("../pallets/precompile/IDin.sol");

fn write(corpus: &Path, target: &str, name: &str, bytes: &[u8]) {
	let dir = corpus.join(target);
	fs::create_dir_all(&dir).expect("corpus dir");
	fs::write(dir.join(name), bytes).expect("seed written");
}

fn main() {
	let corpus = std::env::args().nth(1).expect("usage: seeds <corpus dir>");
	let corpus = Path::new(&corpus);

	let specs = [
		ModelSpec::SoftmaxRegression { inputs: 4, classes: 3 },
		ModelSpec::Mlp { inputs: 8, hidden: vec![4, 3], classes: 2 },
	];
	for (i, spec) in specs.iter().enumerate() {
		write(corpus, "model_spec", &format!("spec-{i}"), &spec.to_bytes().expect("valid"));
		let schema = spec.schema().expect("valid");
		let update = Update {
			schema_hash: schema.hash(),
			author: [7; 32],
			num_samples: 100,
			values: (0..schema.value_count() as i32).map(|v| v * 1_000 - 7_000).collect(),
		};
		write(corpus, "update", &format!("update-{i}"), &update.encode().expect("encodes"));
	}
	let rows: Vec<f32> = (0..12).map(|v| (v * v) as f32).collect();
	let preprocessed = TaskModel {
		spec: specs[0].clone(),
		preprocessing: Some(Preprocessing::standardize(&rows, 4, 5.0)),
		recipe: Some(TrainingRecipe {
			optimizer: din_fl::recipe::Optimizer::AdamW,
			learning_rate: 0.01,
			decay: 0.95,
			epochs: 2,
			batch_size: 32,
			fedprox_mu: 0.0,
		}),
	};
	write(corpus, "model_spec", "spec-preprocessed", &preprocessed.to_bytes().expect("valid"));

	let test_set =
		TestSet { num_features: 3, features: vec![1, -2, 3, 4, 5, -6], labels: vec![0, 1] };
	write(corpus, "sealed_test_set", "two-samples", &encode_test_set(&test_set));
	// Under the target's key, so that mutations of a real seal reach the tag check.
	write(corpus, "sealed_test_set", "sealed", &seal(&[0x42; 32], [7; 12], &test_set));

	for (i, len) in [0usize, 10, 3 << 20].into_iter().enumerate() {
		let artifact: Vec<u8> = (0..len).map(|b| (b % 251) as u8).collect();
		let chunked = chunk(&artifact).expect("no block repeats");
		write(corpus, "manifest", &format!("manifest-{i}"), &chunked.manifest);
	}
	let empty = Manifest { version: MANIFEST_VERSION, size: 0, blocks: vec![] };
	let cid = manifest_cid(&empty.encode()).to_bytes();
	let mut request = (cid.len() as u32).to_be_bytes().to_vec();
	request.extend_from_slice(&cid);
	write(corpus, "block_wire", "request", &request);
	let mut found = 4u32.to_be_bytes().to_vec();
	found.extend_from_slice(&[0, 1, 2, 3]);
	write(corpus, "block_wire", "found", &found);
	write(corpus, "block_wire", "not-found", &[0, 0, 0, 1, 1]);

	use IDin::IDinCalls as Call;
	let calls = [
		Call::createTask(IDin::createTaskCall { spec: vec![7u8; 40].into() }),
		Call::joinTask(IDin::joinTaskCall { id: 3 }),
		Call::extendTask(IDin::extendTaskCall { id: 3, rounds: 2, topUp: U256::from(10u64) }),
		Call::bond(IDin::bondCall { role: 1, amount: U256::from(1u64 << 40) }),
		Call::releaseTestKey(IDin::releaseTestKeyCall { id: 3, key: vec![1u8; 32].into() }),
	];
	for (i, call) in calls.iter().enumerate() {
		write(corpus, "precompile_calldata", &format!("call-{i}"), &call.abi_encode());
	}
}
