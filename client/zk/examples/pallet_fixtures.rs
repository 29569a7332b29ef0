//! Generates the Groth16 (BN254) test vectors of `pallet-din-evaluation`: real keys,
//! proofs and commitments that the pallet's unit tests and its frame benchmarks (which run
//! inside the wasm runtime, so they cannot prove anything themselves) `include_bytes!`.
//!
//! ```text
//! cargo run -p din-zk --example pallet_fixtures -- pallets/evaluation/src/fixtures
//! ```
//!
//! Normally run through `scripts/gen-zk-fixtures.sh`. `client/zk/tests/fixtures.rs` checks
//! the checked-in files against a fresh [`generate`], so stale fixtures fail a test.
//!
//! ## What
//!
//! - Shape: softmax regression 64 → 10 on [`SAMPLES`] test samples, the cheapest circuit
//!   the crate has (the commitment and the circuit accept any sample count; a few dozen
//!   keeps setup and proving at seconds while the three models still score apart).
//! - Test set: the first [`SAMPLES`] samples of the owner's fixed digits test split
//!   (`din_ml::data::digits::digits_test_split`), read from the same shipped file. The
//!   split's shuffle is restated here (a few lines) rather than depending on `din-ml`,
//!   whose candle stack would dwarf this crate's build; the test pins it to `din-ml`'s
//!   recorded indices and labels.
//! - Models, all integer-exact so that no float or libm difference between machines can
//!   move a weight:
//!   - `genesis`: small random weights (±0.01) from [`GENESIS_SEED`], close to chance;
//!   - `model_a`: nearest class mean over the whole training split, written as a linear
//!     model (`w_c = μ_c`, `b_c = −|μ_c|²/2`), high accuracy;
//!   - `model_b`: the same construction from only the first [`MODEL_B_PER_CLASS`] training
//!     sample(s) of each class (one-shot templates), medium accuracy.
//! - Keys: the main setup ([`SETUP_SEED`]) proves all three models; a second, independent
//!   setup of the same shape ([`OTHER_SETUP_SEED`]) gives `other_vk.bin` and a proof of
//!   `model_a` that must verify under it and not under the main key. These four proofs are
//!   made for the binding [`PLAIN_BINDING`] (no chain statement).
//! - Bound proofs (`bound.proofs`): every proof the chain accepts is bound to a statement,
//!   `din_primitives::score_binding(task, target, prover)` (restated here as
//!   [`score_binding`], a few lines of SCALE). [`bound_statements`] lists the ones the
//!   pallet's tests and benchmarks submit: task 0 of the mock, each of the five targets of
//!   `scored_task` (baseline, participants 10–13) by each of the mock's six evaluators, so
//!   that a test finds its proof whichever panel the mock's sortition draws; and the
//!   `submit_score` benchmark's statement for both account types it runs with (the mock's
//!   `u64`, the runtime's `AccountId32`).
//!
//! ## Determinism
//!
//! Every random draw comes from a `ChaCha20Rng` seeded with a constant, consumed in a
//! fixed order (main setup, second setup; proofs of genesis, model_a, model_b,
//! model_a-with-other-key, then the bound proofs in [`bound_statements`] order, from one
//! prover stream). Groth16 setup and proving are
//! deterministic functions of their RNG stream (rayon only splits the MSMs), so re-running
//! writes byte-identical files.
use blake2::{digest::consts::U32, Blake2b, Digest};
use din_zk::{
	commitment, native_correct_count, prove, setup, verifying_key_bytes, CircuitShape, ModelShape,
	TestSet, ZkError,
};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use std::{io::Read, path::Path, time::Instant};

/// scikit-learn's `digits.csv.gz` as shipped with `din-ml` (64 pixels 0..=16, then the label).
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../ml/data/digits.csv.gz");
/// Samples in the shipped digits file.
pub const DIGITS_SAMPLES: usize = 1797;
/// Size of the owner's test split (`din_ml::data::digits::DIGITS_TEST_SAMPLES`).
pub const DIGITS_TEST_SAMPLES: usize = 360;
/// Seed of the owner's split (`din_ml::data::digits::DIGITS_SPLIT_SEED`).
pub const DIGITS_SPLIT_SEED: u64 = u64::from_be_bytes(*b"DINdigit");
/// Pixels per digit.
pub const INPUTS: usize = 64;
/// Digit classes.
pub const CLASSES: usize = 10;
/// Test samples per proof (the public `total`).
pub const SAMPLES: usize = 32;
/// Training samples per class behind `model_b`.
pub const MODEL_B_PER_CLASS: usize = 1;

/// Seed of the main setup (`vk.bin` and the three model proofs).
pub const SETUP_SEED: u64 = 1;
/// Seed of the second, independent setup (`other_vk.bin`).
pub const OTHER_SETUP_SEED: u64 = 2;
/// Seed of the prover's randomness (all four proofs, in file order).
pub const PROVE_SEED: u64 = 3;
/// Seed of the genesis model's weights.
pub const GENESIS_SEED: u64 = 4;

/// The binding of the four named proofs (`GENESIS_PROOF`, …): no chain statement, for the
/// verifier's own tests.
pub const PLAIN_BINDING: [u8; 32] = [0; 32];
/// The mock's evaluators (`pallets/evaluation/src/mock.rs`, `EVALUATORS`).
pub const MOCK_EVALUATORS: [u64; 6] = [30, 31, 32, 33, 34, 35];
/// The mock's participants and the model each submits in `scored_task` (the pallet
/// tests' `models`: 10 and 11 model A, 12 and 13 model B), as indices into
/// [`Fixtures::models`].
pub const MOCK_UPDATES: [(u64, usize); 4] = [(10, 1), (11, 1), (12, 2), (13, 2)];

/// The circuit every fixture is made for.
pub const SHAPE: CircuitShape = CircuitShape {
	model: ModelShape::SoftmaxRegression { inputs: INPUTS, classes: CLASSES },
	samples: SAMPLES,
	features: commitment::FeatureDomain::DigitsGrid,
};

/// The shipped digits: raw pixels (row-major, 64 per sample) and labels, in file order.
pub struct Digits {
	pub pixels: Vec<u8>,
	pub labels: Vec<u32>,
}

/// Parses the shipped digits file.
pub fn digits() -> Digits {
	let mut text = String::new();
	flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
		.read_to_string(&mut text)
		.expect("shipped digits decompress");
	let (mut pixels, mut labels) = (Vec::new(), Vec::new());
	for line in text.lines() {
		let fields: Vec<u32> =
			line.split(',').map(|f| f.trim().parse().expect("integer field")).collect();
		assert_eq!(fields.len(), INPUTS + 1, "64 pixels and a label per line");
		pixels.extend(fields[..INPUTS].iter().map(|&p| u8::try_from(p).expect("pixel")));
		labels.push(fields[INPUTS]);
	}
	assert_eq!(labels.len(), DIGITS_SAMPLES);
	Digits { pixels, labels }
}

/// `0..n` shuffled as `din_ml::data::split::shuffled_indices`: Fisher–Yates driven by
/// `ChaCha8Rng::seed_from_u64(seed)`, `j = ⌊u64 · (i + 1) / 2^64⌋`.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let mut indices: Vec<usize> = (0..n).collect();
	for i in (1..n).rev() {
		let j = ((u128::from(rng.next_u64()) * (i as u128 + 1)) >> 64) as usize;
		indices.swap(i, j);
	}
	indices
}

/// Positions (in file order) of the owner's test split, in test-set order.
pub fn test_indices() -> Vec<usize> {
	shuffled_indices(DIGITS_SAMPLES, DIGITS_SPLIT_SEED)[DIGITS_SAMPLES - DIGITS_TEST_SAMPLES..]
		.to_vec()
}

/// Positions of the owner's training split, in training order.
pub fn train_indices() -> Vec<usize> {
	shuffled_indices(DIGITS_SAMPLES, DIGITS_SPLIT_SEED)[..DIGITS_SAMPLES - DIGITS_TEST_SAMPLES]
		.to_vec()
}

/// `count` samples of the owner's test split from position `offset`, quantized as the
/// contract does (`pixel / 16` at scale 2^16, i.e. `4096 · pixel`).
pub fn digits_test_set(data: &Digits, offset: usize, count: usize) -> TestSet {
	let picked = &test_indices()[offset..offset + count];
	let pixels: Vec<f32> = picked
		.iter()
		.flat_map(|&n| data.pixels[n * INPUTS..(n + 1) * INPUTS].iter().map(|&p| f32::from(p)))
		.collect();
	let labels = picked.iter().map(|&n| data.labels[n]).collect();
	TestSet::from_digit_pixels(INPUTS as u32, &pixels, labels).expect("digits test set")
}

/// The fixtures' test set.
pub fn test_set(data: &Digits) -> TestSet {
	digits_test_set(data, 0, SAMPLES)
}

/// Small random weights and biases in `[−0.01, 0.01]` (scale 2^16): an untrained model.
pub fn genesis() -> Vec<i32> {
	let mut rng = ChaCha20Rng::seed_from_u64(GENESIS_SEED);
	(0..SHAPE.model.value_count()).map(|_| rng.gen_range(-655..=655)).collect()
}

/// Nearest class mean as softmax-regression values: with `μ_c` the mean feature vector
/// (`pixel / 16`) of class `c`, `argmax_c (μ_c·x − |μ_c|²/2)` is the nearest mean in
/// Euclidean distance, so `w_c = μ_c` and `b_c = −|μ_c|²/2`, both at scale 2^16, rounded
/// to integers (no floats). `per_class` caps the training samples used per class.
pub fn class_means_model(data: &Digits, per_class: usize) -> Vec<i32> {
	let mut sums = vec![[0u64; INPUTS]; CLASSES];
	let mut counts = [0u64; CLASSES];
	for n in train_indices() {
		let c = data.labels[n] as usize;
		if counts[c] as usize == per_class {
			continue;
		}
		counts[c] += 1;
		for (s, &p) in sums[c].iter_mut().zip(&data.pixels[n * INPUTS..(n + 1) * INPUTS]) {
			*s += u64::from(p);
		}
	}
	let mut weights = Vec::with_capacity(CLASSES * INPUTS);
	let mut biases = Vec::with_capacity(CLASSES);
	for (sum, &count) in sums.iter().zip(&counts) {
		assert!(count > 0, "every class is in the training split");
		// μ·2^16 = (pixel sum / count) / 16 · 2^16, rounded half up (all non-negative).
		let w: Vec<i64> = sum.iter().map(|&s| ((4096 * s + count / 2) / count) as i64).collect();
		// b·2^16 = −|μ|²/2 · 2^16 = −Σ w² / 2^17, rounded half up in magnitude.
		let norm: i64 = w.iter().map(|w| w * w).sum();
		biases.push(-i32::try_from((norm + (1 << 16)) >> 17).expect("bias fits"));
		weights.extend(w.iter().map(|&w| i32::try_from(w).expect("weight fits")));
	}
	weights.extend(biases);
	weights
}

/// A model that should score well: class means over the whole training split.
pub fn model_a(data: &Digits) -> Vec<i32> {
	class_means_model(data, usize::MAX)
}

/// A different, weaker model: one-shot class templates.
pub fn model_b(data: &Digits) -> Vec<i32> {
	class_means_model(data, MODEL_B_PER_CLASS)
}

/// `sp_core::blake2_256`: unkeyed BLAKE2b with a 32-byte digest.
pub fn blake2_256(bytes: &[u8]) -> [u8; 32] {
	Blake2b::<U32>::digest(bytes).into()
}

/// A score target as the pallet's `ScoreTarget` (SCALE: variant index, then fields).
pub enum Target<'a> {
	/// The genesis model (variant 0).
	Baseline,
	/// The update of `participant` (an encoded account) in `round` (variant 1).
	Update { round: u32, participant: &'a [u8] },
}

/// `din_primitives::score_binding(task, target, prover)`:
/// `blake2_256(SCALE("din/score", task, target, prover))`, last byte cleared. `prover` and
/// the target's participant are SCALE-encoded accounts.
pub fn score_binding(task: u32, target: &Target, prover: &[u8]) -> [u8; 32] {
	let mut preimage = b"din/score".to_vec();
	preimage.extend(task.to_le_bytes());
	match target {
		Target::Baseline => preimage.push(0),
		Target::Update { round, participant } => {
			preimage.push(1);
			preimage.extend(round.to_le_bytes());
			preimage.extend(*participant);
		},
	}
	preimage.extend(prover);
	let mut hash = blake2_256(&preimage);
	hash[31] = 0;
	hash
}

/// `frame_benchmarking::account(name, index, seed)` as 32 bytes: an `AccountId32` is all of
/// them, a `u64` account the first 8 (both decode from the hash with `TrailingZeroInput`).
pub fn benchmark_account(name: &str, index: u32, seed: u32) -> [u8; 32] {
	assert!(name.len() < 64, "single-byte compact length");
	let mut preimage = vec![(name.len() as u8) << 2];
	preimage.extend(name.as_bytes());
	preimage.extend(index.to_le_bytes());
	preimage.extend(seed.to_le_bytes());
	blake2_256(&preimage)
}

/// A statement a bound proof is made for.
pub struct Statement {
	/// What it is, for messages.
	pub label: String,
	/// [`score_binding`] of it.
	pub binding: [u8; 32],
	/// The proven model, an index into [`Fixtures::models`].
	pub model: usize,
}

/// Every statement of `bound.proofs`, in file order (see the module docs).
pub fn bound_statements() -> Vec<Statement> {
	let mut out = Vec::new();
	for prover in MOCK_EVALUATORS {
		let prover_bytes = prover.to_le_bytes();
		out.push(Statement {
			label: format!("mock: baseline by {prover}"),
			binding: score_binding(0, &Target::Baseline, &prover_bytes),
			model: 0,
		});
		for (participant, model) in MOCK_UPDATES {
			let participant = participant.to_le_bytes();
			let target = Target::Update { round: 0, participant: &participant };
			out.push(Statement {
				label: format!("mock: update of {} by {prover}", u64::from_le_bytes(participant)),
				binding: score_binding(0, &target, &prover_bytes),
				model,
			});
		}
	}
	// The `submit_score` benchmark: `participant::<T>(0, 0)`'s update, proven by
	// `account("prover", 0, SEED)`, in the benchmark's first task.
	let (participant, prover) =
		(benchmark_account("participant", 0, 0), benchmark_account("prover", 0, 0));
	for (label, len) in [("u64", 8), ("AccountId32", 32)] {
		let target = Target::Update { round: 0, participant: &participant[..len] };
		out.push(Statement {
			label: format!("benchmark ({label} accounts)"),
			binding: score_binding(0, &target, &prover[..len]),
			model: 1,
		});
	}
	out
}

/// One scored model of the fixtures.
pub struct Scored {
	/// Constant prefix in `fixtures.rs` (`GENESIS`, …) and file stem (`genesis`, …).
	pub name: &'static str,
	/// The model's flat values (schema order).
	pub values: Vec<i32>,
	/// `commitment::model_commitment` as the chain stores it (32 bytes LE).
	pub commitment: [u8; 32],
	/// Correct predictions out of [`SAMPLES`].
	pub correct: u32,
	/// Compressed proof under the main key.
	pub proof: Vec<u8>,
}

/// Everything the generator writes.
pub struct Fixtures {
	pub vk: Vec<u8>,
	pub other_vk: Vec<u8>,
	pub test_set_commitment: [u8; 32],
	pub models: Vec<Scored>,
	pub model_a_other_key_proof: Vec<u8>,
	/// `(binding, proof)` per [`bound_statements`] entry, in order.
	pub bound: Vec<([u8; 32], Vec<u8>)>,
}

/// Runs both setups, the four named proofs and the bound ones (see the module docs for the
/// order).
pub fn generate() -> Result<Fixtures, ZkError> {
	let data = digits();
	let test_set = test_set(&data);
	let test_set_commitment = commitment::to_bytes(&commitment::test_set_commitment(
		&test_set.features,
		&test_set.labels,
		INPUTS,
		CLASSES,
	)?);
	let pixels =
		commitment::test_set_pixels(&test_set.features, &test_set.labels, INPUTS, CLASSES)?;

	let (pk, vk) = setup(SHAPE, &mut ChaCha20Rng::seed_from_u64(SETUP_SEED))?;
	let (other_pk, other_vk) = setup(SHAPE, &mut ChaCha20Rng::seed_from_u64(OTHER_SETUP_SEED))?;

	let mut rng = ChaCha20Rng::seed_from_u64(PROVE_SEED);
	let mut models = Vec::new();
	for (name, values) in
		[("GENESIS", genesis()), ("MODEL_A", model_a(&data)), ("MODEL_B", model_b(&data))]
	{
		let eval = prove(&pk, SHAPE, &values, &test_set, &PLAIN_BINDING, &mut rng)?;
		// The circuit's count is the integer reference's; a mismatch is a bug, not a fixture.
		assert_eq!(
			native_correct_count(&SHAPE.model, &values, &pixels, &test_set.labels),
			Some(eval.public.correct)
		);
		models.push(Scored {
			name,
			commitment: commitment::to_bytes(&eval.public.model_commitment),
			correct: eval.public.correct,
			proof: eval.proof,
			values,
		});
	}
	let model_a_other_key_proof =
		prove(&other_pk, SHAPE, &models[1].values, &test_set, &PLAIN_BINDING, &mut rng)?.proof;
	let mut bound = Vec::new();
	for statement in bound_statements() {
		let values = &models[statement.model].values;
		let eval = prove(&pk, SHAPE, values, &test_set, &statement.binding, &mut rng)?;
		bound.push((statement.binding, eval.proof));
	}

	Ok(Fixtures {
		vk: verifying_key_bytes(&vk)?,
		other_vk: verifying_key_bytes(&other_vk)?,
		test_set_commitment,
		models,
		model_a_other_key_proof,
		bound,
	})
}

fn byte_array(bytes: &[u8; 32]) -> String {
	let row = |r: &[u8]| r.iter().map(|b| format!("0x{b:02x}")).collect::<Vec<_>>().join(", ");
	format!("[\n\t{},\n\t{},\n]", row(&bytes[..16]), row(&bytes[16..]))
}

impl Fixtures {
	/// The files to write, `(name, bytes)`, `fixtures.rs` last.
	pub fn files(&self) -> Vec<(String, Vec<u8>)> {
		let mut files = vec![
			("vk.bin".to_string(), self.vk.clone()),
			("other_vk.bin".to_string(), self.other_vk.clone()),
		];
		for m in &self.models {
			files.push((format!("{}.proof", m.name.to_lowercase()), m.proof.clone()));
		}
		files.push(("model_a_other_key.proof".to_string(), self.model_a_other_key_proof.clone()));
		let bound = self.bound.iter().flat_map(|(b, p)| b.iter().chain(p)).copied().collect();
		files.push(("bound.proofs".to_string(), bound));
		files.push(("fixtures.rs".to_string(), self.rust_source().into_bytes()));
		files
	}

	/// `fixtures.rs`: `pub const` items only (no_std, no alloc), so the pallet can use it
	/// in its tests and in benchmarks compiled into the wasm runtime.
	pub fn rust_source(&self) -> String {
		let mut s = String::new();
		let mut w = |line: &str| {
			s.push_str(line);
			s.push('\n');
		};
		w("// Generated by `scripts/gen-zk-fixtures.sh` (`client/zk/examples/pallet_fixtures.rs`).");
		w("// Do not edit by hand: change the example and re-run the script;");
		w("// `cargo test -p din-zk --test fixtures` fails while these files are stale.");
		w("//");
		w(&format!(
			"// Circuit shape: softmax regression {INPUTS} -> {CLASSES} (`linear.weight [{CLASSES}, {INPUTS}]`, \
			 `linear.bias [{CLASSES}]`),"
		));
		w(&format!("// {SAMPLES} test samples: the first {SAMPLES} of the owner's digits test split (UCI digits 8x8,"));
		w("// `client/ml/data/digits.csv.gz`, split seed b\"DINdigit\").");
		w(&format!(
			"// Seeds (`ChaCha20Rng::seed_from_u64`): setup {SETUP_SEED}, second setup {OTHER_SETUP_SEED}, \
			 proofs {PROVE_SEED},"
		));
		w(&format!("// genesis weights {GENESIS_SEED}."));
		w("// Models: GENESIS = small random weights (+-0.01); MODEL_A = nearest class mean over the");
		w(&format!(
			"// training split; MODEL_B = nearest class mean of only {MODEL_B_PER_CLASS} training sample per class."
		));
		w("// Commitments are 32-byte little-endian BN254 scalars (the on-chain `H256`); proofs are");
		w("// compressed `Proof<Bn254>` (128 bytes); keys are compressed `VerifyingKey<Bn254>`.");
		w("");
		w("/// Verifying key of the main setup (`din_zk::verifying_key_bytes`).");
		w("pub const VK: &[u8] = include_bytes!(\"vk.bin\");");
		w("/// `blake2_256(VK)`.");
		w(&format!("pub const VK_BLAKE2_256: [u8; 32] = {};", byte_array(&blake2_256(&self.vk))));
		w("/// Verifying key of a second, independent setup of the same shape.");
		w("pub const OTHER_VK: &[u8] = include_bytes!(\"other_vk.bin\");");
		w("/// `blake2_256(OTHER_VK)`.");
		w(&format!(
			"pub const OTHER_VK_BLAKE2_256: [u8; 32] = {};",
			byte_array(&blake2_256(&self.other_vk))
		));
		w("/// Test-set commitment (`din_zk_verifier::commitment::test_set_commitment`).");
		w(&format!(
			"pub const TEST_SET_COMMITMENT: [u8; 32] = {};",
			byte_array(&self.test_set_commitment)
		));
		w("/// Test samples (public input `total`).");
		w(&format!("pub const TOTAL: u32 = {SAMPLES};"));
		for m in &self.models {
			let (name, file) = (m.name, m.name.to_lowercase());
			w("");
			w(&format!("/// Model commitment of `{file}` (`din_zk_verifier::commitment::model_commitment`)."));
			w(&format!("pub const {name}_COMMITMENT: [u8; 32] = {};", byte_array(&m.commitment)));
			w(&format!("/// Correct predictions of `{file}` out of `TOTAL`."));
			w(&format!("pub const {name}_CORRECT: u32 = {};", m.correct));
			w(&format!("/// Proof of `{file}`'s score under `VK`."));
			w(&format!("pub const {name}_PROOF: &[u8] = include_bytes!(\"{file}.proof\");"));
		}
		w("");
		w("/// Proof of `model_a`'s score under `OTHER_VK` (does not verify under `VK`).");
		w("pub const MODEL_A_OTHER_KEY_PROOF: &[u8] = include_bytes!(\"model_a_other_key.proof\");");
		w("");
		w("/// The binding (fifth public input) the named proofs above are made for.");
		w(&format!("pub const PLAIN_BINDING: [u8; 32] = {};", byte_array(&PLAIN_BINDING)));
		w("");
		w("/// Proofs under `VK` bound to chain statements (`din_primitives::score_binding`): records");
		w("/// of a 32-byte binding and a 128-byte proof. The statements: the generator's");
		w("/// `bound_statements` (mock task 0: each target of `scored_task` by each evaluator; the");
		w("/// `submit_score` benchmark's).");
		w("pub const BOUND_PROOFS: &[u8] = include_bytes!(\"bound.proofs\");");
		w("");
		w("/// The proof in `BOUND_PROOFS` made for `binding`, if the fixtures have one.");
		w("pub fn bound_proof(binding: &[u8; 32]) -> Option<&'static [u8]> {");
		// As `cargo fmt` writes it (the file is part of the pallet crate), so that a fresh
		// generation equals the checked-in file byte for byte.
		w("\tBOUND_PROOFS");
		w("\t\t.chunks_exact(32 + 128)");
		w("\t\t.find(|r| &r[..32] == binding)");
		w("\t\t.map(|r| &r[32..])");
		w("}");
		s
	}
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
	let dir = std::env::args_os().nth(1).ok_or("usage: pallet_fixtures <output directory>")?;
	let dir = Path::new(&dir);
	let start = Instant::now();
	let fixtures = generate()?;
	let elapsed = start.elapsed();
	std::fs::create_dir_all(dir)?;
	for (name, bytes) in fixtures.files() {
		std::fs::write(dir.join(&name), &bytes)?;
		println!("{:>6} bytes  {}", bytes.len(), dir.join(&name).display());
	}
	for m in &fixtures.models {
		println!("{}: {}/{SAMPLES} correct", m.name.to_lowercase(), m.correct);
	}
	println!("generated in {elapsed:.2?} (two setups, {} proofs)", 4 + fixtures.bound.len());
	Ok(())
}
