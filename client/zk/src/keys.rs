//! Key generation, key files, proving and verification.
//!
//! ## Key files
//!
//! Both files start with a header: magic (`b"DINZKPK1"` / `b"DINZKVK1"`) followed by the
//! [`CircuitShape`] as five little-endian u64 (`kind, inputs, hidden, classes, samples`)
//! for a test set on the digits grid (48 bytes); for signed features (a task whose inputs
//! are preprocessed) the magic ends in `2` and a sixth u64 holds their bits (56 bytes).
//! Then:
//! - proving key: `ProvingKey<Bn254>::serialize_uncompressed` (fast to load; read back
//!   *without* subgroup checks, so only load proving keys you generated or fetched from a
//!   source you trust for availability; a corrupt proving key cannot make a false proof
//!   verify, it only yields proofs that fail);
//! - verifying key: `VerifyingKey<Bn254>::serialize_compressed`, read back with full
//!   validation; the same bytes without the header ([`verifying_key_bytes`]) are what the
//!   chain stores and `din_zk_verifier::verify` takes.
//!
//! ## Trust
//!
//! Groth16 needs a per-circuit trusted setup: whoever knows the setup randomness can forge
//! proofs. Until a multi-party setup exists, the model owner runs [`setup`] for their task
//! and publishes the verifying key with the task.
use crate::{
	circuit::EvaluationCircuit,
	shape::{CircuitShape, ModelShape},
	ZkError,
};
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
	ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use din_fl::TestSet;
use din_zk_verifier::{commitment::FeatureDomain, layout::PublicInputs};
use rand::{CryptoRng, RngCore};
use std::{
	fs::File,
	io::{BufReader, BufWriter, Read, Write},
	path::Path,
};

const PK_MAGIC: &[u8; 8] = b"DINZKPK1";
const VK_MAGIC: &[u8; 8] = b"DINZKVK1";
/// The last magic byte of a key for signed features (the header's sixth word).
const SIGNED_FEATURES_VERSION: u8 = b'2';

/// A proof together with the statement it proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
	/// The public inputs (commitments, correct, total).
	pub public: PublicInputs,
	/// `Proof<Bn254>::serialize_compressed` (128 bytes).
	pub proof: Vec<u8>,
}

/// Number of R1CS constraints of the circuit for `shape`.
pub fn constraint_count(shape: CircuitShape) -> Result<usize, ZkError> {
	let cs = ConstraintSystem::<Fr>::new_ref();
	cs.set_optimization_goal(OptimizationGoal::Constraints);
	cs.set_mode(SynthesisMode::Setup);
	EvaluationCircuit::for_setup(shape).generate_constraints(cs.clone())?;
	cs.finalize();
	Ok(cs.num_constraints())
}

/// Generates a key pair for `shape` (the owner's trusted setup).
pub fn setup<R: RngCore + CryptoRng>(
	shape: CircuitShape,
	rng: &mut R,
) -> Result<(ProvingKey<Bn254>, VerifyingKey<Bn254>), ZkError> {
	Ok(Groth16::<Bn254>::circuit_specific_setup(EvaluationCircuit::for_setup(shape), rng)?)
}

/// Proves the accuracy of `weights` on `test_set`, for `binding`: the statement hash
/// (`din_primitives::score_binding` of task, target and prover) the chain checks the
/// proof against, so that only the account it names can submit it.
pub fn prove<R: RngCore + CryptoRng>(
	pk: &ProvingKey<Bn254>,
	shape: CircuitShape,
	weights: &[i32],
	test_set: &TestSet,
	binding: &[u8; 32],
	rng: &mut R,
) -> Result<Evaluation, ZkError> {
	let circuit = EvaluationCircuit::new(shape, weights, test_set, binding)?;
	let public = circuit.public.ok_or(ZkError::UnsupportedShape)?;
	let proof = Groth16::<Bn254>::prove(pk, circuit, rng)?;
	let mut bytes = Vec::with_capacity(proof.compressed_size());
	proof.serialize_compressed(&mut bytes)?;
	Ok(Evaluation { public, proof: bytes })
}

/// [`setup`] with the operating system's randomness.
///
/// Generic code is compiled in the crate that instantiates it, so a caller that is built
/// without optimisation (a debug `din`) and calls [`setup`] with its own RNG type gets an
/// unoptimised Groth16 setup, about ten times slower. These non-generic entry points are
/// instantiated here, with this crate's optimisation level.
pub fn setup_with_os_rng(
	shape: CircuitShape,
) -> Result<(ProvingKey<Bn254>, VerifyingKey<Bn254>), ZkError> {
	setup(shape, &mut rand::rngs::OsRng)
}

/// [`prove`] with the operating system's randomness (see [`setup_with_os_rng`] for why).
pub fn prove_with_os_rng(
	pk: &ProvingKey<Bn254>,
	shape: CircuitShape,
	weights: &[i32],
	test_set: &TestSet,
	binding: &[u8; 32],
) -> Result<Evaluation, ZkError> {
	prove(pk, shape, weights, test_set, binding, &mut rand::rngs::OsRng)
}

/// Verifies an evaluation proof with a (decoded) verifying key.
pub fn verify(
	vk: &VerifyingKey<Bn254>,
	public: &PublicInputs,
	proof: &[u8],
) -> Result<bool, ZkError> {
	let pvk = ark_groth16::prepare_verifying_key(vk);
	Ok(din_zk_verifier::verifier::verify_prepared(&pvk, &public.to_field_elements(), proof)?)
}

/// The verifying key as the chain stores it (compressed, no header).
pub fn verifying_key_bytes(vk: &VerifyingKey<Bn254>) -> Result<Vec<u8>, ZkError> {
	let mut out = Vec::with_capacity(vk.compressed_size());
	vk.serialize_compressed(&mut out)?;
	Ok(out)
}

fn write_header(w: &mut impl Write, magic: &[u8; 8], shape: CircuitShape) -> Result<(), ZkError> {
	let mut magic = *magic;
	let signed_bits = match shape.features {
		FeatureDomain::DigitsGrid => None,
		FeatureDomain::Signed { bits } => {
			magic[7] = SIGNED_FEATURES_VERSION;
			Some(u64::from(bits))
		},
	};
	w.write_all(&magic)?;
	for word in shape
		.model
		.to_words()
		.into_iter()
		.chain([shape.samples as u64])
		.chain(signed_bits)
	{
		w.write_all(&word.to_le_bytes())?;
	}
	Ok(())
}

fn read_header(r: &mut impl Read, magic: &[u8; 8]) -> Result<CircuitShape, ZkError> {
	let mut m = [0u8; 8];
	r.read_exact(&mut m)?;
	let signed = m[7] == SIGNED_FEATURES_VERSION;
	if m[..7] != magic[..7] || !(m[7] == magic[7] || signed) {
		return Err(ZkError::KeyFile("wrong magic".into()));
	}
	let mut word = || -> Result<u64, ZkError> {
		let mut b = [0u8; 8];
		r.read_exact(&mut b)?;
		Ok(u64::from_le_bytes(b))
	};
	let words = [word()?, word()?, word()?, word()?, word()?];
	let model = ModelShape::from_words([words[0], words[1], words[2], words[3]])
		.ok_or_else(|| ZkError::KeyFile("unknown model kind".into()))?;
	let features = if signed {
		let bits = u8::try_from(word()?).ok().map(|bits| FeatureDomain::Signed { bits });
		bits.filter(FeatureDomain::is_valid)
			.ok_or_else(|| ZkError::KeyFile("unsupported feature width".into()))?
	} else {
		FeatureDomain::DigitsGrid
	};
	Ok(CircuitShape { model, samples: words[4] as usize, features })
}

/// Writes a proving key file.
pub fn write_proving_key(
	path: &Path,
	shape: CircuitShape,
	pk: &ProvingKey<Bn254>,
) -> Result<(), ZkError> {
	let mut w = BufWriter::new(File::create(path)?);
	write_header(&mut w, PK_MAGIC, shape)?;
	pk.serialize_uncompressed(&mut w)?;
	w.flush()?;
	Ok(())
}

/// Reads a proving key file (no subgroup checks, see the module docs).
pub fn read_proving_key(path: &Path) -> Result<(CircuitShape, ProvingKey<Bn254>), ZkError> {
	let mut r = BufReader::new(File::open(path)?);
	let shape = read_header(&mut r, PK_MAGIC)?;
	let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&mut r)?;
	Ok((shape, pk))
}

/// Writes a verifying key file.
pub fn write_verifying_key(
	path: &Path,
	shape: CircuitShape,
	vk: &VerifyingKey<Bn254>,
) -> Result<(), ZkError> {
	let mut w = BufWriter::new(File::create(path)?);
	write_header(&mut w, VK_MAGIC, shape)?;
	vk.serialize_compressed(&mut w)?;
	w.flush()?;
	Ok(())
}

/// Reads and validates a verifying key file.
pub fn read_verifying_key(path: &Path) -> Result<(CircuitShape, VerifyingKey<Bn254>), ZkError> {
	let mut r = BufReader::new(File::open(path)?);
	let shape = read_header(&mut r, VK_MAGIC)?;
	let vk = VerifyingKey::<Bn254>::deserialize_compressed(&mut r)?;
	Ok((shape, vk))
}
