//! The checked-in Groth16 test vectors of `pallet-din-evaluation`
//! (`pallets/evaluation/src/fixtures/`, written by `scripts/gen-zk-fixtures.sh`): they
//! verify through the same byte API the runtime uses, every altered statement is
//! rejected, and their commitments and counts equal the generator's models, so stale
//! fixtures fail here rather than as a puzzling pallet test. The full byte-for-byte
//! comparison with a fresh generation (keys and proofs included) is `--ignored`: slow.
use din_zk::{
	commitment::{self, from_bytes},
	layout::{binding_scalar, PublicInputs},
	native_correct_count,
};

/// The generator itself: the same models, test set and seeds (its `main` is unused here).
#[allow(dead_code)]
#[path = "../examples/pallet_fixtures.rs"]
mod generator;

/// The generated constants, compiled as the pallet compiles them.
#[path = "../../../pallets/evaluation/src/fixtures/fixtures.rs"]
mod fixtures;

use fixtures::*;

/// The three scored models as `(name, commitment, correct, proof)`.
const MODELS: [(&str, [u8; 32], u32, &[u8]); 3] = [
	("genesis", GENESIS_COMMITMENT, GENESIS_CORRECT, GENESIS_PROOF),
	("model_a", MODEL_A_COMMITMENT, MODEL_A_CORRECT, MODEL_A_PROOF),
	("model_b", MODEL_B_COMMITMENT, MODEL_B_CORRECT, MODEL_B_PROOF),
];

fn inputs(model: &[u8; 32], test_set: &[u8; 32], correct: u32, total: u32) -> [u8; 160] {
	bound_inputs(model, test_set, correct, total, &PLAIN_BINDING)
}

fn bound_inputs(
	model: &[u8; 32],
	test_set: &[u8; 32],
	correct: u32,
	total: u32,
	binding: &[u8; 32],
) -> [u8; 160] {
	PublicInputs {
		model_commitment: from_bytes(model).expect("canonical model commitment"),
		test_set_commitment: from_bytes(test_set).expect("canonical test-set commitment"),
		correct,
		total,
		binding: binding_scalar(binding),
	}
	.to_bytes()
}

/// `false` and `Err` both count as a rejection (undecodable bytes are an error).
fn accepted(vk: &[u8], inputs: &[u8], proof: &[u8]) -> bool {
	din_zk_verifier::verify_bytes(vk, inputs, proof).unwrap_or(false)
}

#[test]
fn proofs_verify_under_vk() {
	for (name, model, correct, proof) in MODELS {
		let public = inputs(&model, &TEST_SET_COMMITMENT, correct, TOTAL);
		assert_eq!(proof.len(), 128, "{name}");
		assert_eq!(din_zk_verifier::verify_bytes(VK, &public, proof), Ok(true), "{name}");
		// The native host function the node provides agrees.
		assert!(din_zk_host::zk_host::verify_groth16_bn254(VK, &public, proof), "{name}");
	}
	let a = inputs(&MODEL_A_COMMITMENT, &TEST_SET_COMMITMENT, MODEL_A_CORRECT, TOTAL);
	assert_eq!(din_zk_verifier::verify_bytes(OTHER_VK, &a, MODEL_A_OTHER_KEY_PROOF), Ok(true));
}

/// Every bound proof verifies for the statement the generator lists for it, and for no
/// other binding: the pallet's tests find a proof by binding, so a record under the wrong
/// binding would make them fail for a reason that has nothing to do with the pallet.
#[test]
fn bound_proofs_verify_for_their_statement_only() {
	let statements = generator::bound_statements();
	let records: Vec<&[u8]> = BOUND_PROOFS.chunks(32 + 128).collect();
	assert_eq!(records.len(), statements.len(), "one record per statement");
	for (record, statement) in records.iter().zip(&statements) {
		let label = &statement.label;
		assert_eq!(&record[..32], &statement.binding, "{label}: binding");
		let (_, model, correct, _) = MODELS[statement.model];
		let public = bound_inputs(&model, &TEST_SET_COMMITMENT, correct, TOTAL, &statement.binding);
		assert_eq!(din_zk_verifier::verify_bytes(VK, &public, &record[32..]), Ok(true), "{label}");
		assert_eq!(bound_proof(&statement.binding), Some(&record[32..]), "{label}: lookup");
		let plain = inputs(&model, &TEST_SET_COMMITMENT, correct, TOTAL);
		assert!(!accepted(VK, &plain, &record[32..]), "{label}: unbound");
	}
	// Bindings are distinct: a prover, a target and a task each change it.
	let mut bindings: Vec<[u8; 32]> = statements.iter().map(|s| s.binding).collect();
	bindings.sort();
	bindings.dedup();
	assert_eq!(bindings.len(), statements.len());
	// Named proofs are made for the plain binding only.
	let (_, model, correct, proof) = MODELS[1];
	let bound = bound_inputs(&model, &TEST_SET_COMMITMENT, correct, TOTAL, &statements[1].binding);
	assert!(!accepted(VK, &bound, proof));
}

#[test]
fn altered_statements_are_rejected() {
	let data = generator::digits();
	let shifted = generator::digits_test_set(&data, 1, TOTAL as usize);
	let other_test_set = commitment::to_bytes(
		&commitment::test_set_commitment(
			&shifted.features,
			&shifted.labels,
			generator::INPUTS,
			generator::CLASSES,
		)
		.unwrap(),
	);
	assert_ne!(other_test_set, TEST_SET_COMMITMENT);

	for (i, (name, model, correct, proof)) in MODELS.into_iter().enumerate() {
		// Wrong count (one off either way, and zero / all).
		for wrong in [correct.wrapping_sub(1), correct + 1, 0, TOTAL] {
			if wrong != correct {
				let p = inputs(&model, &TEST_SET_COMMITMENT, wrong, TOTAL);
				assert!(!accepted(VK, &p, proof), "{name}: correct {wrong}");
			}
		}
		// Another model's commitment with this model's count and proof.
		let (_, other_model, _, _) = MODELS[(i + 1) % MODELS.len()];
		assert!(
			!accepted(VK, &inputs(&other_model, &TEST_SET_COMMITMENT, correct, TOTAL), proof),
			"{name}"
		);
		// Another test set.
		assert!(!accepted(VK, &inputs(&model, &other_test_set, correct, TOTAL), proof), "{name}");
		// Another total.
		assert!(
			!accepted(VK, &inputs(&model, &TEST_SET_COMMITMENT, correct, TOTAL + 1), proof),
			"{name}"
		);
		// The other key.
		let public = inputs(&model, &TEST_SET_COMMITMENT, correct, TOTAL);
		assert!(!accepted(OTHER_VK, &public, proof), "{name}: other key");
		// Tampered proof bytes: every flip is either undecodable or rejected.
		for byte in [0usize, 31, 32, 63, 64, 95, 96, 127] {
			let mut bad = proof.to_vec();
			bad[byte] ^= 0x01;
			assert!(!accepted(VK, &public, &bad), "{name}: byte {byte}");
		}
		assert!(
			din_zk_verifier::verify_bytes(VK, &public, &proof[..127]).is_err(),
			"{name}: truncated"
		);
	}
	// The proof made with the second key verifies under it only.
	let a = inputs(&MODEL_A_COMMITMENT, &TEST_SET_COMMITMENT, MODEL_A_CORRECT, TOTAL);
	assert!(!accepted(VK, &a, MODEL_A_OTHER_KEY_PROOF));
	assert!(!din_zk_host::zk_host::verify_groth16_bn254(VK, &a, MODEL_A_OTHER_KEY_PROOF));
}

#[test]
fn statement_constants_match_the_models() {
	// The restated split is din-ml's (`digits::tests::owner_split_is_fixed` pins the same).
	let data = generator::digits();
	assert_eq!(&generator::test_indices()[..8], &[593, 1282, 1766, 1661, 745, 1194, 1287, 602]);
	let test_set = generator::test_set(&data);
	assert_eq!(&test_set.labels[..12], &[2, 9, 1, 4, 1, 9, 0, 7, 7, 4, 0, 0]);

	assert_eq!(TOTAL as usize, test_set.labels.len());
	let tc = commitment::test_set_commitment(
		&test_set.features,
		&test_set.labels,
		generator::INPUTS,
		generator::CLASSES,
	)
	.unwrap();
	assert_eq!(commitment::to_bytes(&tc), TEST_SET_COMMITMENT);
	let pixels = commitment::test_set_pixels(
		&test_set.features,
		&test_set.labels,
		generator::INPUTS,
		generator::CLASSES,
	)
	.unwrap();
	let models = [generator::genesis(), generator::model_a(&data), generator::model_b(&data)];
	for ((name, commitment, correct, _), values) in MODELS.into_iter().zip(&models) {
		assert_eq!(
			commitment::to_bytes(&commitment::model_commitment(values)),
			commitment,
			"{name}"
		);
		assert_eq!(
			native_correct_count(&generator::SHAPE.model, values, &pixels, &test_set.labels),
			Some(correct),
			"{name}"
		);
	}
	// What the pallet tests rely on: three distinct, ordered scores.
	assert!(GENESIS_CORRECT < MODEL_B_CORRECT && MODEL_B_CORRECT < MODEL_A_CORRECT);

	// `VK_BLAKE2_256` is `sp_core::blake2_256` (known answer for the empty input).
	assert_eq!(
		generator::blake2_256(b""),
		[
			0x0e, 0x57, 0x51, 0xc0, 0x26, 0xe5, 0x43, 0xb2, 0xe8, 0xab, 0x2e, 0xb0, 0x60, 0x99,
			0xda, 0xa1, 0xd1, 0xe5, 0xdf, 0x47, 0x77, 0x8f, 0x77, 0x87, 0xfa, 0xab, 0x45, 0xcd,
			0xf1, 0x2f, 0xe3, 0xa8,
		]
	);
	assert_eq!(generator::blake2_256(VK), VK_BLAKE2_256);
	assert_eq!(generator::blake2_256(OTHER_VK), OTHER_VK_BLAKE2_256);
}

/// Byte-for-byte staleness check of the keys and proofs too (a changed circuit changes the
/// keys while the old files stay self-consistent). Ignored by default: both setups and all
/// proofs take minutes on two cores; run it with `--ignored` after changing the circuit or
/// the generator. The cheap statement checks above always run.
#[test]
#[ignore = "regenerates two setups and every proof (minutes); run with --ignored after circuit changes"]
fn checked_in_files_equal_a_fresh_generation() {
	let checked_in: [(&str, &[u8]); 8] = [
		("vk.bin", VK),
		("other_vk.bin", OTHER_VK),
		("genesis.proof", GENESIS_PROOF),
		("model_a.proof", MODEL_A_PROOF),
		("model_b.proof", MODEL_B_PROOF),
		("model_a_other_key.proof", MODEL_A_OTHER_KEY_PROOF),
		("bound.proofs", BOUND_PROOFS),
		("fixtures.rs", include_bytes!("../../../pallets/evaluation/src/fixtures/fixtures.rs")),
	];
	let fresh = generator::generate().expect("generate").files();
	assert_eq!(
		fresh.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(),
		checked_in.iter().map(|(name, _)| *name).collect::<Vec<_>>()
	);
	for ((name, bytes), (_, on_disk)) in fresh.iter().zip(checked_in) {
		assert!(on_disk == bytes.as_slice(), "{name} is stale: run scripts/gen-zk-fixtures.sh");
	}
}
