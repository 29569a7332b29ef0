//! End-to-end Groth16 tests on a tiny shape: completeness, soundness spot checks, key and
//! proof serialization, the no_std verifier's byte API and the native host function.
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use din_fl::TestSet;
use din_zk::{
	commitment::{self, FeatureDomain},
	layout::{self, PublicInputs},
	prove, read_proving_key, read_verifying_key, setup, verify, verifying_key_bytes,
	write_proving_key, write_verifying_key, CircuitShape, ModelShape,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// The statement hash the proofs are made for (the chain's `score_binding`; any 31 bytes).
const BINDING: [u8; 32] = [0x5a; 32];

fn case() -> (CircuitShape, Vec<i32>, TestSet) {
	let model = ModelShape::SoftmaxRegression { inputs: 4, classes: 3 };
	let weights = vec![
		65536, -65536, 0, 0, // class 0 likes feature 0
		0, 65536, -65536, 0, // class 1 likes feature 1
		0, 0, 65536, 65536, // class 2 likes features 2, 3
		0, 0, -1000,
	];
	let features = vec![
		65536, 0, 0, 0, // → 0
		0, 65536, 0, 0, // → 1
		0, 0, 4096, 4096, // → 2
		0, 0, 0, 0, // tie at 0 → 0 (class 2 has bias −1000)
	];
	let test_set = TestSet::new(4, features, vec![0, 1, 1, 0]).unwrap();
	(CircuitShape { model, samples: 4, features: FeatureDomain::DigitsGrid }, weights, test_set)
}

#[test]
fn prove_verify_and_soundness_spot_checks() {
	let (shape, weights, test_set) = case();
	let mut rng = ChaCha20Rng::seed_from_u64(42);
	let (pk, vk) = setup(shape, &mut rng).unwrap();
	let eval = prove(&pk, shape, &weights, &test_set, &BINDING, &mut rng).unwrap();
	assert_eq!(eval.public.correct, 3);
	assert_eq!(eval.public.total, 4);
	assert_eq!(eval.proof.len(), 128);
	assert!(verify(&vk, &eval.public, &eval.proof).unwrap(), "completeness");

	// Wrong count.
	for correct in [0, 2, 4] {
		let p = PublicInputs { correct, ..eval.public };
		assert!(!verify(&vk, &p, &eval.proof).unwrap(), "count {correct}");
	}
	// Another model's commitment.
	let mut other = weights.clone();
	other[0] += 1;
	let p = PublicInputs { model_commitment: commitment::model_commitment(&other), ..eval.public };
	assert!(!verify(&vk, &p, &eval.proof).unwrap());
	// Another test set's commitment.
	let mut labels = test_set.labels.clone();
	labels[2] = 2;
	let tc = commitment::test_set_commitment(&test_set.features, &labels, 4, 3).unwrap();
	let p = PublicInputs { test_set_commitment: tc, ..eval.public };
	assert!(!verify(&vk, &p, &eval.proof).unwrap());
	// Wrong total.
	let p = PublicInputs { total: 5, ..eval.public };
	assert!(!verify(&vk, &p, &eval.proof).unwrap());
	// Attack: a proof copied from the transaction pool and submitted by someone else (or for
	// another task or target) is checked against another binding: it does not verify, even
	// though no constraint of the circuit reads the binding.
	let mut copier = BINDING;
	copier[0] ^= 1;
	let p = PublicInputs { binding: layout::binding_scalar(&copier), ..eval.public };
	assert!(!verify(&vk, &p, &eval.proof).unwrap(), "another binding");
	// Tampered proof bytes: every byte flip is either undecodable or rejected.
	for i in [0usize, 31, 32, 95, 96, 127] {
		let mut bad = eval.proof.clone();
		bad[i] ^= 0x01;
		assert!(!verify(&vk, &eval.public, &bad).unwrap_or(false), "byte {i}");
	}
	assert!(verify(&vk, &eval.public, &eval.proof[..127]).is_err());
	// A proof from another key (same shape, fresh setup) does not verify under this key.
	let (pk2, vk2) = setup(shape, &mut rng).unwrap();
	let eval2 = prove(&pk2, shape, &weights, &test_set, &BINDING, &mut rng).unwrap();
	assert!(verify(&vk2, &eval2.public, &eval2.proof).unwrap());
	assert!(!verify(&vk, &eval2.public, &eval2.proof).unwrap());

	// The no_std byte API and the native host function agree.
	let vk_bytes = verifying_key_bytes(&vk).unwrap();
	let inputs = eval.public.to_bytes();
	assert_eq!(din_zk_verifier::verify_bytes(&vk_bytes, &inputs, &eval.proof), Ok(true));
	assert!(din_zk_host::zk_host::verify_groth16_bn254(&vk_bytes, &inputs, &eval.proof));
	let bad_inputs = PublicInputs { correct: 2, ..eval.public }.to_bytes();
	assert_eq!(din_zk_verifier::verify_bytes(&vk_bytes, &bad_inputs, &eval.proof), Ok(false));
	assert!(!din_zk_host::zk_host::verify_groth16_bn254(&vk_bytes, &bad_inputs, &eval.proof));
	assert!(!din_zk_host::zk_host::verify_groth16_bn254(&vk_bytes[1..], &inputs, &eval.proof));
	assert!(din_zk_verifier::verify_bytes(&vk_bytes, &inputs[..128], &eval.proof).is_err());

	// Prepared key round trip.
	let pvk = din_zk_verifier::verifier::prepare(&vk_bytes).unwrap();
	let pvk_bytes = din_zk_verifier::verifier::prepared_to_bytes(&pvk);
	let pvk2 = din_zk_verifier::verifier::prepared_from_bytes(&pvk_bytes).unwrap();
	assert_eq!(pvk2, pvk, "the stored form restores the whole prepared key");
	assert_eq!(
		din_zk_verifier::verifier::verify_prepared(
			&pvk2,
			&eval.public.to_field_elements(),
			&eval.proof
		),
		Ok(true)
	);

	// Key files round trip; proofs made with the reloaded key verify with the reloaded vk.
	let dir = tempfile::tempdir().unwrap();
	let (pk_path, vk_path) = (dir.path().join("eval.pk"), dir.path().join("eval.vk"));
	write_proving_key(&pk_path, shape, &pk).unwrap();
	write_verifying_key(&vk_path, shape, &vk).unwrap();
	let (pk_shape, pk_loaded) = read_proving_key(&pk_path).unwrap();
	let (vk_shape, vk_loaded) = read_verifying_key(&vk_path).unwrap();
	assert_eq!((pk_shape, vk_shape), (shape, shape));
	assert_eq!(vk_loaded, vk);
	assert!(pk_loaded == pk);
	let eval3 = prove(&pk_loaded, shape, &weights, &test_set, &BINDING, &mut rng).unwrap();
	assert!(verify(&vk_loaded, &eval3.public, &eval3.proof).unwrap());
	assert!(read_proving_key(&vk_path).is_err(), "magic is checked");

	// Proof bytes round trip.
	let proof =
		ark_groth16::Proof::<ark_bn254::Bn254>::deserialize_compressed(&eval.proof[..]).unwrap();
	let mut again = Vec::new();
	proof.serialize_compressed(&mut again).unwrap();
	assert_eq!(again, eval.proof);
}

#[test]
fn mlp_prove_verify() {
	let model = ModelShape::Mlp { inputs: 3, hidden: 2, classes: 2 };
	let shape = CircuitShape { model, samples: 2, features: FeatureDomain::DigitsGrid };
	let weights = vec![65536, -65536, 0, -65536, 65536, 0, 0, -5, 65536, 0, 0, 65536, 0, 0];
	let test_set = TestSet::new(3, vec![65536, 0, 0, 0, 65536, 4096], vec![0, 1]).unwrap();
	let mut rng = ChaCha20Rng::seed_from_u64(9);
	let (pk, vk) = setup(shape, &mut rng).unwrap();
	let eval = prove(&pk, shape, &weights, &test_set, &BINDING, &mut rng).unwrap();
	assert_eq!(eval.public.correct, 2);
	assert!(verify(&vk, &eval.public, &eval.proof).unwrap());
	assert!(!verify(&vk, &PublicInputs { correct: 1, ..eval.public }, &eval.proof).unwrap());
}

/// A preprocessed task's circuit: signed features (standardized, clipped to ±5.0, so 20
/// bits), an MLP; its key files carry the feature width, and a proof made for the signed
/// commitment does not verify against the same features committed on another width.
#[test]
fn signed_features_prove_verify_and_their_key_files_name_the_width() {
	let model = ModelShape::Mlp { inputs: 3, hidden: 2, classes: 2 };
	let features = FeatureDomain::Signed { bits: 20 };
	let shape = CircuitShape { model, samples: 3, features };
	let weights = vec![65536, -65536, 0, -65536, 65536, 0, 0, -5, 65536, 0, 0, 65536, 0, 0];
	// -4.5, 3.25, 0 / 0.5, -5.0, 1.0 / 4.99, -4.99, 0 at scale 2^16.
	let test_set = TestSet::new(
		3,
		vec![-294_912, 212_992, 0, 32_768, -327_680, 65_536, 327_024, -327_024, 0],
		vec![1, 1, 0],
	)
	.unwrap();
	let mut rng = ChaCha20Rng::seed_from_u64(21);
	let (pk, vk) = setup(shape, &mut rng).unwrap();
	let eval = prove(&pk, shape, &weights, &test_set, &BINDING, &mut rng).unwrap();
	let expected = din_fl::reference::count_correct(
		&din_fl::spec::ModelSpec::Mlp { inputs: 3, hidden: vec![2], classes: 2 },
		&weights,
		&test_set,
	)
	.unwrap();
	assert_eq!(eval.public.correct, expected);
	assert!(verify(&vk, &eval.public, &eval.proof).unwrap());
	let other_width = commitment::test_set_commitment_in(
		FeatureDomain::Signed { bits: 21 },
		&test_set.features,
		&test_set.labels,
		3,
		2,
	)
	.unwrap();
	let p = PublicInputs { test_set_commitment: other_width, ..eval.public };
	assert!(!verify(&vk, &p, &eval.proof).unwrap());

	let dir = tempfile::tempdir().unwrap();
	let (pk_path, vk_path) = (dir.path().join("signed.pk"), dir.path().join("signed.vk"));
	write_proving_key(&pk_path, shape, &pk).unwrap();
	write_verifying_key(&vk_path, shape, &vk).unwrap();
	assert_eq!(&std::fs::read(&pk_path).unwrap()[..8], b"DINZKPK2");
	assert_eq!(read_proving_key(&pk_path).unwrap().0, shape);
	assert_eq!(read_verifying_key(&vk_path).unwrap().0, shape);
	assert!(read_proving_key(&vk_path).is_err(), "magic is checked");
}
