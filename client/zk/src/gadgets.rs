//! Small R1CS gadgets the evaluation circuit is built from.
//!
//! - [`lincomb`]: a weighted sum of booleans as one symbolic linear combination (free: no
//!   constraint, no witness).
//! - [`alloc_bits`]: `n` boolean witnesses (one booleanity constraint each), the range check
//!   every other gadget rests on.
//! - [`materialize`]: turns a long linear combination into one witness variable (one
//!   constraint) so that products using it stay sparse.
//! - [`pack_bits`] / [`poseidon_hash`]: the in-circuit mirror of
//!   `din_zk_verifier::commitment::pack_bits` and `din_zk_verifier::poseidon::hash`.
use ark_bn254::Fr;
use ark_crypto_primitives::sponge::{
	constraints::CryptographicSpongeVar, poseidon::constraints::PoseidonSpongeVar,
};
use ark_ff::{AdditiveGroup, One, Zero};
use ark_r1cs_std::{
	alloc::AllocVar,
	boolean::Boolean,
	eq::EqGadget,
	fields::fp::{AllocatedFp, FpVar},
	GR1CSVar,
};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};
use din_zk_verifier::commitment::PACK_BITS;

/// `constant + Σ coeff·bit` as a symbolic linear combination (no constraint).
pub fn lincomb<'a>(
	cs: &ConstraintSystemRef<Fr>,
	terms: impl IntoIterator<Item = (Fr, &'a Boolean<Fr>)>,
	constant: Fr,
) -> Result<FpVar<Fr>, SynthesisError> {
	let with_values = !cs.is_in_setup_mode();
	let mut lc = LinearCombination::<Fr>::zero();
	let mut value = Some(constant);
	if !constant.is_zero() {
		lc += (constant, Variable::One);
	}
	for (coeff, bit) in terms {
		match bit {
			Boolean::Constant(false) => {},
			Boolean::Constant(true) => {
				lc += (coeff, Variable::One);
				value = value.map(|v| v + coeff);
			},
			Boolean::Var(b) => {
				lc += (coeff, b.variable());
				if with_values {
					value = match (value, b.value()) {
						(Some(v), Ok(true)) => Some(v + coeff),
						(Some(v), Ok(false)) => Some(v),
						_ => None,
					};
				}
			},
		}
	}
	if cs.is_none() {
		return Ok(FpVar::Constant(value.unwrap_or_default()));
	}
	let var = cs.new_lc(|| lc)?;
	Ok(FpVar::Var(AllocatedFp::new(if with_values { value } else { None }, var, cs.clone())))
}

/// `Σ 2^i · bits[i]` (little-endian), optionally minus `offset`.
pub fn le_bits(
	cs: &ConstraintSystemRef<Fr>,
	bits: &[Boolean<Fr>],
	offset: Fr,
) -> Result<FpVar<Fr>, SynthesisError> {
	let mut pow = Fr::one();
	let terms: Vec<(Fr, &Boolean<Fr>)> = bits
		.iter()
		.map(|b| {
			let t = (pow, b);
			pow.double_in_place();
			t
		})
		.collect();
	lincomb(cs, terms, -offset)
}

/// Allocates `n` boolean witnesses holding the low `n` bits of `value` (LSB first).
pub fn alloc_bits(
	cs: &ConstraintSystemRef<Fr>,
	value: Option<u128>,
	n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
	(0..n)
		.map(|i| {
			Boolean::new_witness(cs.clone(), || {
				value.map(|v| (v >> i) & 1 == 1).ok_or(SynthesisError::AssignmentMissing)
			})
		})
		.collect()
}

/// Replaces a (long) linear combination by a fresh witness constrained equal to it.
pub fn materialize(
	cs: &ConstraintSystemRef<Fr>,
	x: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
	if let FpVar::Constant(_) = x {
		return Ok(x.clone());
	}
	let v = FpVar::new_witness(cs.clone(), || x.value())?;
	v.enforce_equal(x)?;
	Ok(v)
}

/// In-circuit `din_zk_verifier::commitment::pack_bits`: 253-bit little-endian chunks.
pub fn pack_bits(
	cs: &ConstraintSystemRef<Fr>,
	bits: &[Boolean<Fr>],
) -> Result<Vec<FpVar<Fr>>, SynthesisError> {
	bits.chunks(PACK_BITS).map(|chunk| le_bits(cs, chunk, Fr::zero())).collect()
}

/// In-circuit `din_zk_verifier::poseidon::hash`.
pub fn poseidon_hash(
	cs: &ConstraintSystemRef<Fr>,
	elements: &[FpVar<Fr>],
) -> Result<FpVar<Fr>, SynthesisError> {
	let mut sponge = PoseidonSpongeVar::<Fr>::new(cs.clone(), din_zk_verifier::poseidon::config());
	sponge.absorb(&elements)?;
	let out = sponge.squeeze_field_elements(1)?;
	out.into_iter().next().ok_or(SynthesisError::Unsatisfiable)
}
