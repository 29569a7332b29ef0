//! Groth16 (BN254) verification from bytes, for the runtime (pure wasm) and the host
//! function (native).
//!
//! Encodings (ark-serialize, compressed, *validated*: points are checked to be on the
//! curve and in the prime-order subgroup, so hostile bytes give an error, never a panic):
//! - verifying key: `VerifyingKey<Bn254>::serialize_compressed` (`din-zk` writes it);
//! - proof: `Proof<Bn254>::serialize_compressed` (128 bytes);
//! - public inputs: `[Fr]` ([`crate::layout`]), or their 32-byte little-endian wire form.
//!
//! A prepared verifying key (`e(α, β)` and the prepared `−γ`, `−δ`) saves one pairing per
//! verification: [`prepare`] once, keep it, then [`verify_prepared`]. [`prepared_to_bytes`] /
//! [`prepared_from_bytes`] store it (the key and `e(α, β)` uncompressed; decoding skips
//! subgroup checks, so only load bytes you wrote yourself, e.g. from runtime storage filled
//! by [`prepare_checked`]).
use alloc::vec::Vec;
use ark_bn254::{Bn254, Fq12, Fr};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

/// Why verification could not even be attempted. A well-formed but wrong proof is
/// `Ok(false)`, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifierError {
	/// The verifying key bytes do not decode (or hold invalid points).
	VerifyingKey,
	/// The proof bytes do not decode (or hold invalid points), or have trailing bytes.
	Proof,
	/// Public-input bytes are not 32-byte canonical scalars.
	PublicInputs,
	/// The key expects another number of public inputs.
	InputCount { expected: usize, got: usize },
}

impl core::fmt::Display for VerifierError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::VerifyingKey => write!(f, "malformed Groth16 verifying key"),
			Self::Proof => write!(f, "malformed Groth16 proof"),
			Self::PublicInputs => write!(f, "malformed public inputs"),
			Self::InputCount { expected, got } => {
				write!(f, "verifying key expects {expected} public inputs, got {got}")
			},
		}
	}
}

impl core::error::Error for VerifierError {}

fn decode_exact<T: CanonicalDeserialize>(
	mut bytes: &[u8],
	err: VerifierError,
) -> Result<T, VerifierError> {
	let v = T::deserialize_compressed(&mut bytes).map_err(|_| err.clone())?;
	if !bytes.is_empty() {
		return Err(err);
	}
	Ok(v)
}

/// Decodes a compressed verifying key and prepares it.
pub fn prepare(vk_bytes: &[u8]) -> Result<PreparedVerifyingKey<Bn254>, VerifierError> {
	let vk: VerifyingKey<Bn254> = decode_exact(vk_bytes, VerifierError::VerifyingKey)?;
	Ok(ark_groth16::prepare_verifying_key(&vk))
}

/// Checks that `vk_bytes` is a compressed verifying key with valid points that takes
/// `public_inputs` public inputs (the evaluation circuit has
/// [`crate::layout::PUBLIC_INPUT_COUNT`]). The chain runs this once, when a key is
/// registered, so that a task can never be bound to a key no proof verifies against.
pub fn check_verifying_key(vk_bytes: &[u8], public_inputs: usize) -> Result<(), VerifierError> {
	decode_key_for(vk_bytes, public_inputs).map(|_| ())
}

fn decode_key_for(
	vk_bytes: &[u8],
	public_inputs: usize,
) -> Result<VerifyingKey<Bn254>, VerifierError> {
	let vk: VerifyingKey<Bn254> = decode_exact(vk_bytes, VerifierError::VerifyingKey)?;
	let expected = vk.gamma_abc_g1.len().saturating_sub(1);
	if expected != public_inputs {
		return Err(VerifierError::InputCount { expected, got: public_inputs });
	}
	Ok(vk)
}

/// The stored form of a prepared key: the key uncompressed, then `e(α, β)` uncompressed
/// (1,224 bytes for the evaluation circuit's five inputs). The pairing-ready `−γ`, `−δ` are
/// not stored: [`prepared_from_bytes`] derives them, which costs a few percent of a
/// verification, where storing them would take 34 KB of state and of every proof's reads.
pub fn prepared_to_bytes(pvk: &PreparedVerifyingKey<Bn254>) -> Vec<u8> {
	let mut out =
		Vec::with_capacity(pvk.vk.uncompressed_size() + pvk.alpha_g1_beta_g2.uncompressed_size());
	// Writing into a Vec cannot fail.
	let _ = pvk.vk.serialize_uncompressed(&mut out);
	let _ = pvk.alpha_g1_beta_g2.serialize_uncompressed(&mut out);
	out
}

/// Inverse of [`prepared_to_bytes`] (no subgroup checks: trusted storage only).
pub fn prepared_from_bytes(mut bytes: &[u8]) -> Result<PreparedVerifyingKey<Bn254>, VerifierError> {
	let vk = VerifyingKey::<Bn254>::deserialize_uncompressed_unchecked(&mut bytes)
		.map_err(|_| VerifierError::VerifyingKey)?;
	let alpha_g1_beta_g2 = Fq12::deserialize_uncompressed_unchecked(&mut bytes)
		.map_err(|_| VerifierError::VerifyingKey)?;
	if !bytes.is_empty() {
		return Err(VerifierError::VerifyingKey);
	}
	Ok(PreparedVerifyingKey {
		gamma_g2_neg_pc: (-vk.gamma_g2).into(),
		delta_g2_neg_pc: (-vk.delta_g2).into(),
		alpha_g1_beta_g2,
		vk,
	})
}

/// Checks a compressed verifying key as [`check_verifying_key`] does and returns its
/// prepared form as [`prepared_to_bytes`] writes it: what the chain stores when a key is
/// registered, so that every proof is checked by [`verify_prepared_bytes`] without decoding
/// the key's points again or computing `e(α, β)`.
pub fn prepare_checked(vk_bytes: &[u8], public_inputs: usize) -> Result<Vec<u8>, VerifierError> {
	let vk = decode_key_for(vk_bytes, public_inputs)?;
	Ok(prepared_to_bytes(&ark_groth16::prepare_verifying_key(&vk)))
}

/// Verifies `proof_bytes` against a prepared key and the public inputs.
pub fn verify_prepared(
	pvk: &PreparedVerifyingKey<Bn254>,
	public_inputs: &[Fr],
	proof_bytes: &[u8],
) -> Result<bool, VerifierError> {
	let expected = pvk.vk.gamma_abc_g1.len().saturating_sub(1);
	if expected != public_inputs.len() {
		return Err(VerifierError::InputCount { expected, got: public_inputs.len() });
	}
	let proof: Proof<Bn254> = decode_exact(proof_bytes, VerifierError::Proof)?;
	Groth16::<Bn254>::verify_proof(pvk, &proof, public_inputs)
		.map_err(|_| VerifierError::VerifyingKey)
}

/// `verify(vk_bytes, public_inputs, proof_bytes)`: decode and prepare the key, decode the
/// proof, run the Groth16 check.
pub fn verify(
	vk_bytes: &[u8],
	public_inputs: &[Fr],
	proof_bytes: &[u8],
) -> Result<bool, VerifierError> {
	verify_prepared(&prepare(vk_bytes)?, public_inputs, proof_bytes)
}

/// [`verify`] with the public inputs in their wire form (concatenated 32-byte little-endian
/// scalars). This is the host function's signature.
pub fn verify_bytes(
	vk_bytes: &[u8],
	public_inputs: &[u8],
	proof_bytes: &[u8],
) -> Result<bool, VerifierError> {
	let inputs =
		crate::layout::decode_scalars(public_inputs).map_err(|_| VerifierError::PublicInputs)?;
	verify(vk_bytes, &inputs, proof_bytes)
}

/// [`verify_prepared`] from bytes: a prepared key as [`prepare_checked`] wrote it (trusted:
/// its points are not checked again) and the public inputs in their wire form. This is the
/// prepared host function's signature.
pub fn verify_prepared_bytes(
	prepared_key: &[u8],
	public_inputs: &[u8],
	proof_bytes: &[u8],
) -> Result<bool, VerifierError> {
	let inputs =
		crate::layout::decode_scalars(public_inputs).map_err(|_| VerifierError::PublicInputs)?;
	verify_prepared(&prepared_from_bytes(prepared_key)?, &inputs, proof_bytes)
}
