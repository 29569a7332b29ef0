//! The Groth16 public-input vector of the evaluation circuit, shared by the prover
//! (`din-zk`), the runtime and the host function.
//!
//! | index | value | encoding |
//! |---|---|---|
//! | 0 | model commitment | [`crate::commitment::model_commitment`] of the scored update |
//! | 1 | test-set commitment | [`crate::commitment::test_set_commitment`] of the task's test set |
//! | 2 | correct | number of test samples whose prediction equals the label, as a scalar |
//! | 3 | total | number of test samples (fixed per circuit/key), as a scalar |
//! | 4 | binding | [`binding_scalar`] of the chain's statement hash: task, target, prover |
//!
//! Wire form ([`PublicInputs::to_bytes`]): the five scalars, each 32 bytes little-endian
//! canonical, concatenated (160 bytes). The circuit enforces `total` equal to its sample
//! count, so a proof is also bound to the size the key was made for.
//!
//! The binding takes part in no constraint of the circuit: arkworks' Groth16 adds one
//! constraint per public input to the QAP, so every input is bound into the proof all the
//! same, and a proof made for one binding does not verify for another. The chain fills it
//! with `din_primitives::score_binding` (task, score target and the submitting account), so
//! a proof copied from the transaction pool and submitted by anyone else verifies nothing.
use crate::commitment::{from_bytes, to_bytes, CommitmentError};
use ark_bn254::Fr;
use ark_ff::PrimeField;

/// Number of public inputs of the evaluation circuit.
pub const PUBLIC_INPUT_COUNT: usize = 5;
/// Size of [`PublicInputs::to_bytes`].
pub const PUBLIC_INPUT_BYTES: usize = 32 * PUBLIC_INPUT_COUNT;

/// The statement an evaluation proof proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicInputs {
	/// Commitment to the scored model's values.
	pub model_commitment: Fr,
	/// Commitment to the task's test set.
	pub test_set_commitment: Fr,
	/// Correctly classified test samples.
	pub correct: u32,
	/// Test samples in the set.
	pub total: u32,
	/// Who may submit the proof, for what: [`binding_scalar`] of the chain's statement hash.
	pub binding: Fr,
}

/// The field element a 32-byte statement hash binds a proof to: its first 31 bytes, little
/// endian (248 bits, below the BN254 scalar modulus, so every hash maps to one canonical
/// scalar and the wire form is the hash with its last byte cleared).
pub fn binding_scalar(hash: &[u8; 32]) -> Fr {
	Fr::from_le_bytes_mod_order(&hash[..31])
}

impl PublicInputs {
	/// The public-input vector in circuit order.
	pub fn to_field_elements(&self) -> [Fr; PUBLIC_INPUT_COUNT] {
		[
			self.model_commitment,
			self.test_set_commitment,
			Fr::from(self.correct),
			Fr::from(self.total),
			self.binding,
		]
	}

	/// 160-byte wire form (five 32-byte little-endian scalars).
	pub fn to_bytes(&self) -> [u8; PUBLIC_INPUT_BYTES] {
		let mut out = [0u8; PUBLIC_INPUT_BYTES];
		for (i, f) in self.to_field_elements().iter().enumerate() {
			out[i * 32..(i + 1) * 32].copy_from_slice(&to_bytes(f));
		}
		out
	}

	/// Inverse of [`Self::to_bytes`]; counts must fit in a `u32`.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, CommitmentError> {
		let f = decode_scalars(bytes)?;
		if f.len() != PUBLIC_INPUT_COUNT {
			return Err(CommitmentError::NonCanonical);
		}
		let small = |x: &Fr| -> Result<u32, CommitmentError> {
			let b = to_bytes(x);
			if b[4..].iter().any(|&z| z != 0) {
				return Err(CommitmentError::NonCanonical);
			}
			Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
		};
		Ok(Self {
			model_commitment: f[0],
			test_set_commitment: f[1],
			correct: small(&f[2])?,
			total: small(&f[3])?,
			binding: f[4],
		})
	}
}

/// Decodes concatenated 32-byte little-endian canonical scalars.
pub fn decode_scalars(bytes: &[u8]) -> Result<alloc::vec::Vec<Fr>, CommitmentError> {
	if !bytes.len().is_multiple_of(32) {
		return Err(CommitmentError::NonCanonical);
	}
	bytes
		.chunks_exact(32)
		.map(|c| {
			let mut a = [0u8; 32];
			a.copy_from_slice(c);
			from_bytes(&a)
		})
		.collect()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn wire_form_round_trips() {
		let p = PublicInputs {
			model_commitment: Fr::from(12345u64),
			test_set_commitment: -Fr::from(1u64),
			correct: 300,
			total: 360,
			binding: binding_scalar(&[0xff; 32]),
		};
		assert_eq!(PublicInputs::from_bytes(&p.to_bytes()), Ok(p));
		assert!(PublicInputs::from_bytes(&p.to_bytes()[..128]).is_err());
	}

	#[test]
	fn a_binding_is_the_hash_with_its_last_byte_cleared() {
		let hash = [0xffu8; 32];
		let mut wire = hash;
		wire[31] = 0;
		assert_eq!(to_bytes(&binding_scalar(&hash)), wire);
		let mut other = hash;
		other[30] ^= 1;
		assert_ne!(binding_scalar(&hash), binding_scalar(&other));
	}
}
