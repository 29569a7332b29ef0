//! Constraint-system tests: native == gadget, circuit count == `din_fl::reference`
//! (property test), soundness spot checks on witnesses, constraint budget.
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_r1cs_std::{alloc::AllocVar, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef};
use din_fl::{reference::count_correct, spec::ModelSpec, TestSet};
use din_zk::{
	commitment::{FeatureDomain, FEATURE_STEP},
	constraint_count, gadgets, poseidon, CircuitShape, EvaluationCircuit, ModelShape,
};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The statement the circuits are made for (no constraint reads it).
const BINDING: [u8; 32] = [3; 32];

fn spec_of(shape: &ModelShape) -> ModelSpec {
	match *shape {
		ModelShape::SoftmaxRegression { inputs, classes } => {
			ModelSpec::SoftmaxRegression { inputs: inputs as u32, classes: classes as u32 }
		},
		ModelShape::Mlp { inputs, hidden, classes } => ModelSpec::Mlp {
			inputs: inputs as u32,
			hidden: vec![hidden as u32],
			classes: classes as u32,
		},
	}
}

fn satisfied(circuit: EvaluationCircuit) -> bool {
	let cs = ConstraintSystem::<Fr>::new_ref();
	circuit.generate_constraints(cs.clone()).expect("synthesis");
	let ok = cs.is_satisfied().expect("satisfiability");
	if !ok {
		eprintln!("unsatisfied: {:?}", cs.which_is_unsatisfied());
	}
	ok
}

fn random_case(
	rng: &mut impl Rng,
	model: ModelShape,
	samples: usize,
	extreme: bool,
) -> (Vec<i32>, TestSet) {
	random_case_in(rng, model, samples, extreme, FeatureDomain::DigitsGrid)
}

/// Weights (random, or with `extreme` the i32 limits among them) and a test set whose
/// features fill `features` (with `extreme` on signed features, often its two ends).
fn random_case_in(
	rng: &mut impl Rng,
	model: ModelShape,
	samples: usize,
	extreme: bool,
	features: FeatureDomain,
) -> (Vec<i32>, TestSet) {
	let weights = (0..model.value_count())
		.map(|_| match (extreme, rng.gen_range(0..8)) {
			(true, 0) => i32::MIN,
			(true, 1) => i32::MAX,
			(true, _) => rng.gen(),
			(false, _) => rng.gen_range(-(1 << 17)..(1 << 17)),
		})
		.collect();
	let features = (0..samples * model.inputs())
		.map(|_| match features {
			FeatureDomain::DigitsGrid => rng.gen_range(0..=16) * FEATURE_STEP,
			FeatureDomain::Signed { bits } => {
				let half = 1i32 << (bits - 1);
				match (extreme, rng.gen_range(0..4)) {
					(true, 0) => -half,
					(true, 1) => half - 1,
					_ => rng.gen_range(-half..half),
				}
			},
		})
		.collect();
	let labels = (0..samples).map(|_| rng.gen_range(0..model.classes() as u32)).collect();
	(weights, TestSet::new(model.inputs() as u32, features, labels).expect("shape"))
}

#[test]
fn poseidon_gadget_equals_native() {
	let mut rng = ChaCha8Rng::seed_from_u64(1);
	for len in [0usize, 1, 7, 8, 9, 17] {
		let xs: Vec<Fr> = (0..len).map(|_| Fr::rand(&mut rng)).collect();
		let cs = ConstraintSystem::<Fr>::new_ref();
		let vars = xs
			.iter()
			.map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)))
			.collect::<Result<Vec<_>, _>>()
			.unwrap();
		let h = gadgets::poseidon_hash(&cs, &vars).unwrap();
		assert_eq!(h.value().unwrap(), poseidon::hash(&xs), "len {len}");
		assert!(cs.is_satisfied().unwrap());
	}
}

#[test]
fn packing_gadget_equals_native() {
	let mut rng = ChaCha8Rng::seed_from_u64(2);
	let bits: Vec<bool> = (0..600).map(|_| rng.gen()).collect();
	let cs: ConstraintSystemRef<Fr> = ConstraintSystem::<Fr>::new_ref();
	let vars = bits
		.iter()
		.map(|b| ark_r1cs_std::boolean::Boolean::new_witness(cs.clone(), || Ok(*b)))
		.collect::<Result<Vec<_>, _>>()
		.unwrap();
	let packed = gadgets::pack_bits(&cs, &vars).unwrap();
	let values: Vec<Fr> = packed.iter().map(|p| p.value().unwrap()).collect();
	assert_eq!(values, din_zk::commitment::pack_bits(&bits));
}

fn check_against_reference(
	model: ModelShape,
	samples: usize,
	seed: u64,
	extreme: bool,
) -> Result<(), TestCaseError> {
	check_against_reference_in(model, samples, seed, extreme, FeatureDomain::DigitsGrid)
}

fn check_against_reference_in(
	model: ModelShape,
	samples: usize,
	seed: u64,
	extreme: bool,
	features: FeatureDomain,
) -> Result<(), TestCaseError> {
	let mut rng = ChaCha8Rng::seed_from_u64(seed);
	let (weights, test_set) = random_case_in(&mut rng, model, samples, extreme, features);
	let expected = count_correct(&spec_of(&model), &weights, &test_set).expect("reference");
	let shape = CircuitShape { model, samples, features };
	let circuit = EvaluationCircuit::new(shape, &weights, &test_set, &BINDING).expect("circuit");
	prop_assert_eq!(circuit.public.map(|p| p.correct), Some(expected));
	prop_assert!(satisfied(circuit.clone()));
	// The same witness with any other claimed count is rejected.
	let mut wrong = circuit;
	if let Some(p) = wrong.public.as_mut() {
		p.correct = (p.correct + 1) % (samples as u32 + 1);
	}
	prop_assert!(!satisfied(wrong));
	Ok(())
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

	#[test]
	fn softmax_count_equals_reference(inputs in 1usize..5, classes in 2usize..6, samples in 1usize..5, seed: u64, extreme: bool) {
		check_against_reference(ModelShape::SoftmaxRegression { inputs, classes }, samples, seed, extreme)?;
	}

	#[test]
	fn mlp_count_equals_reference(inputs in 1usize..4, hidden in 1usize..7, classes in 2usize..5, samples in 1usize..4, seed: u64, extreme: bool) {
		check_against_reference(ModelShape::Mlp { inputs, hidden, classes }, samples, seed, extreme)?;
	}

	/// A preprocessed task's test set: signed features of any committable width.
	#[test]
	fn softmax_count_on_signed_features_equals_reference(inputs in 1usize..5, classes in 2usize..5, samples in 1usize..4, bits in 2u8..=24, seed: u64, extreme: bool) {
		let features = FeatureDomain::Signed { bits };
		check_against_reference_in(ModelShape::SoftmaxRegression { inputs, classes }, samples, seed, extreme, features)?;
	}

	#[test]
	fn mlp_count_on_signed_features_equals_reference(inputs in 1usize..4, hidden in 1usize..6, classes in 2usize..4, samples in 1usize..3, bits in 2u8..=24, seed: u64, extreme: bool) {
		let features = FeatureDomain::Signed { bits };
		check_against_reference_in(ModelShape::Mlp { inputs, hidden, classes }, samples, seed, extreme, features)?;
	}
}

/// Attack: a prover claims a signed test set's feature is another value than committed, or
/// smuggles one past the domain's width: the commitment (and the code's range check) holds
/// the circuit to the committed features.
#[test]
fn a_signed_feature_other_than_the_committed_one_is_rejected() {
	let model = ModelShape::Mlp { inputs: 3, hidden: 4, classes: 3 };
	let features = FeatureDomain::Signed { bits: 20 };
	let shape = CircuitShape { model, samples: 3, features };
	let mut rng = ChaCha8Rng::seed_from_u64(11);
	let (weights, test_set) = random_case_in(&mut rng, model, 3, false, features);
	let honest = EvaluationCircuit::new(shape, &weights, &test_set, &BINDING).unwrap();
	assert!(satisfied(honest.clone()));
	let mut moved = honest.clone();
	moved.codes.as_mut().unwrap()[4] ^= 1 << 7;
	assert!(!satisfied(moved));
	// Out of the domain the circuit is not even built.
	let mut wide = test_set.clone();
	wide.features[0] = 1 << 19;
	assert!(EvaluationCircuit::new(shape, &weights, &wide, &BINDING).is_err());
	// The same features on the digits grid are another circuit with another commitment.
	let grid = CircuitShape { features: FeatureDomain::DigitsGrid, ..shape };
	assert!(EvaluationCircuit::new(grid, &weights, &test_set, &BINDING).is_err());
}

/// Ties everywhere: all-zero models predict class 0; lowest index must win.
#[test]
fn ties_resolve_to_lowest_index() {
	let model = ModelShape::SoftmaxRegression { inputs: 2, classes: 3 };
	let weights = vec![0; model.value_count()];
	let test_set = TestSet::new(2, vec![0, 4096, 65536, 0], vec![0, 1]).unwrap();
	let circuit = EvaluationCircuit::new(
		CircuitShape { model, samples: 2, features: FeatureDomain::DigitsGrid },
		&weights,
		&test_set,
		&BINDING,
	)
	.unwrap();
	assert_eq!(circuit.public.unwrap().correct, 1);
	assert!(satisfied(circuit));
}

#[test]
fn witness_that_differs_from_commitments_is_rejected() {
	let model = ModelShape::Mlp { inputs: 3, hidden: 4, classes: 3 };
	let shape = CircuitShape { model, samples: 3, features: FeatureDomain::DigitsGrid };
	let mut rng = ChaCha8Rng::seed_from_u64(7);
	let (weights, test_set) = random_case(&mut rng, model, 3, false);
	let honest = EvaluationCircuit::new(shape, &weights, &test_set, &BINDING).unwrap();
	assert!(satisfied(honest.clone()));

	let mut other_model = honest.clone();
	other_model.weights.as_mut().unwrap()[0] ^= 1;
	assert!(!satisfied(other_model));

	let mut other_pixels = honest.clone();
	let px = &mut other_pixels.codes.as_mut().unwrap()[0];
	*px = if *px == 16 { 15 } else { *px + 1 };
	assert!(!satisfied(other_pixels));

	let mut other_label = honest.clone();
	let l = &mut other_label.labels.as_mut().unwrap()[0];
	*l = (*l + 1) % 3;
	assert!(!satisfied(other_label));

	let mut other_total = honest;
	other_total.public.as_mut().unwrap().total += 1;
	assert!(!satisfied(other_total));
}

/// Budget: softmax regression 64→10 costs at most 1,100 constraints per test sample
/// (measured: see the bench); the per-model part is bounded too.
#[test]
fn constraint_budget() {
	let model = ModelShape::SoftmaxRegression { inputs: 64, classes: 10 };
	let one =
		constraint_count(CircuitShape { model, samples: 1, features: FeatureDomain::DigitsGrid })
			.unwrap();
	let nine =
		constraint_count(CircuitShape { model, samples: 9, features: FeatureDomain::DigitsGrid })
			.unwrap();
	let per_sample = (nine - one) / 8;
	eprintln!("softmax 64→10: {per_sample} constraints per sample, {one} for one sample");
	assert!(per_sample <= 1_100, "per-sample constraints regressed: {per_sample}");
	assert!(one <= 30_000, "per-model constraints regressed: {one}");
}
