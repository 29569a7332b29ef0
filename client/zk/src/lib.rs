//! # din-zk
//!
//! Groth16 (BN254) proofs that a model update scores exactly `correct` out of `total` on a
//! committed test set, so one valid proof settles a score on-chain.
//!
//! ## Overview
//!
//! - [`circuit`]: the evaluation circuit (commitments recomputed, integer inference with
//!   packed dot products, range-checked truncation, bounded-difference argmax, match count);
//! - [`keys`]: per-[`CircuitShape`] setup, key files, [`prove`], [`verify`];
//! - [`gadgets`]: the small R1CS building blocks;
//! - re-exported from `din-zk-verifier` (no_std, shared with the runtime): [`commitment`]
//!   (the one Poseidon commitment definition), [`layout`] (public inputs), [`poseidon`],
//!   [`verifier`].
//!
//! ## Flow
//!
//! 1. The model owner runs [`setup`] for the task's model shape and test-set size, keeps the
//!    proving key file for evaluators and publishes [`verifying_key_bytes`] with the task,
//!    together with `commitment::test_set_commitment` of the test set. Trust assumption:
//!    whoever knows the setup randomness can forge proofs, so the owner is trusted for
//!    this until a multi-party setup exists.
//! 2. An evaluator, given the test set and an update, calls [`prove`]; the [`Evaluation`]
//!    carries the public inputs (`PublicInputs`, bound to the task, target and prover the
//!    chain names) and the 128-byte proof.
//! 3. The chain checks `model_commitment` against the update's on-chain commitment, the
//!    test-set commitment against the task, and runs `din_zk_verifier::verify` (wasm) or
//!    the `din-zk-host` host function (native).
pub mod circuit;
pub mod gadgets;
pub mod keys;
pub mod shape;

pub use circuit::{native_correct_count, native_correct_count_in, Bounds, EvaluationCircuit};
pub use din_fl::{spec::ModelSpec, TestSet};
pub use din_zk_verifier::{commitment, layout, layout::PublicInputs, poseidon, verifier};
pub use keys::{
	constraint_count, prove, prove_with_os_rng, read_proving_key, read_verifying_key, setup,
	setup_with_os_rng, verify, verifying_key_bytes, write_proving_key, write_verifying_key,
	Evaluation,
};
pub use shape::{CircuitShape, ModelShape};

/// The feature domain of a task's committed test set: the digits grid, or for a task whose
/// inputs are preprocessed, signed features wide enough for its clip bound (every
/// preprocessed feature lies within `±quantize(clip)`).
pub fn feature_domain(model: &din_fl::TaskModel) -> Result<commitment::FeatureDomain, ZkError> {
	match &model.preprocessing {
		None => Ok(commitment::FeatureDomain::DigitsGrid),
		Some(map) => din_fl::quantize(map.clip)
			.ok()
			.and_then(|bound| commitment::FeatureDomain::signed_for(bound.unsigned_abs()))
			.ok_or(ZkError::UnsupportedShape),
	}
}

/// Errors of the client-side ZK operations.
#[derive(Debug, thiserror::Error)]
pub enum ZkError {
	/// The test set cannot be committed (off-grid feature, bad label, shape).
	#[error("test set: {0}")]
	Commitment(#[from] din_zk_verifier::CommitmentError),
	/// Constraint synthesis or proving failed.
	#[error("synthesis: {0}")]
	Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
	/// Key or proof (de)serialization failed.
	#[error("serialization: {0}")]
	Serialization(#[from] ark_serialize::SerializationError),
	/// Key file I/O failed.
	#[error("io: {0}")]
	Io(#[from] std::io::Error),
	/// A key file is not one of ours.
	#[error("key file: {0}")]
	KeyFile(String),
	/// Verification could not be attempted (malformed key/proof/inputs).
	#[error("verifier: {0}")]
	Verifier(#[from] din_zk_verifier::VerifierError),
	/// The model has another number of values than its shape.
	#[error("model has {got} values, its shape needs {expected}")]
	ValueCount { expected: usize, got: usize },
	/// The test set has another number of samples than the circuit.
	#[error("test set has {got} samples, the circuit is for {expected}")]
	SampleCount { expected: usize, got: usize },
	/// The shape is outside what the circuit's bounds support.
	#[error("unsupported circuit shape")]
	UnsupportedShape,
}
