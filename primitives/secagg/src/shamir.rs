//! Shamir secret sharing of 32-byte secrets over GF(2⁸), byte by byte.
//!
//! Each byte of the secret is the constant term of its own random polynomial of degree
//! `t − 1`; share `x` (1 to 255) holds every polynomial's value at `x`. Any `t` shares
//! recover the secret by Lagrange interpolation at zero; `t − 1` shares are uniformly
//! distributed whatever the secret. The field is the AES field (`x⁸ + x⁴ + x³ + x + 1`),
//! its products through log/antilog tables of the generator 3.
//!
//! Table lookups depend on the values: a member's shares are computed on its own machine,
//! and recovery happens on values already handed over, so a timing side channel reveals
//! only what the one running it already holds.

use alloc::vec::Vec;
use rand_core::{CryptoRng, RngCore};

use crate::{SecAggError, Seed};

/// One share: the point `x` and the 32 values there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
	/// The point, 1 to 255 (0 would be the secret itself).
	pub x: u8,
	/// The value of each byte's polynomial at `x`.
	pub y: Seed,
}

/// `(exp, log)` of GF(2⁸) with generator 3.
const TABLES: ([u8; 255], [u8; 256]) = {
	let mut exp = [0u8; 255];
	let mut log = [0u8; 256];
	let mut value: u16 = 1;
	let mut power = 0;
	while power < 255 {
		exp[power] = value as u8;
		log[value as usize] = power as u8;
		// value × 3 = value × 2 ⊕ value, reduced by the AES polynomial.
		let doubled = value << 1;
		let doubled = if doubled & 0x100 != 0 { doubled ^ 0x11b } else { doubled };
		value = doubled ^ value;
		power += 1;
	}
	(exp, log)
};

fn mul(a: u8, b: u8) -> u8 {
	if a == 0 || b == 0 {
		return 0;
	}
	let (exp, log) = &TABLES;
	exp[(log[a as usize] as usize + log[b as usize] as usize) % 255]
}

fn div(a: u8, b: u8) -> u8 {
	debug_assert!(b != 0, "division by zero in GF(256)");
	if a == 0 {
		return 0;
	}
	let (exp, log) = &TABLES;
	exp[(log[a as usize] as usize + 255 - log[b as usize] as usize) % 255]
}

/// Split `secret` into `count` shares at the points 1..=`count`, any `threshold` of which
/// recover it.
pub fn split<R: RngCore + CryptoRng>(
	secret: &Seed,
	threshold: u8,
	count: u8,
	rng: &mut R,
) -> Result<Vec<Share>, SecAggError> {
	if threshold == 0 || threshold > count {
		return Err(SecAggError::InvalidThreshold);
	}
	// coefficients[k][byte]: the degree-k coefficient of that byte's polynomial.
	let mut coefficients = Vec::with_capacity(threshold as usize);
	coefficients.push(*secret);
	for _ in 1..threshold {
		let mut random = [0u8; 32];
		rng.fill_bytes(&mut random);
		coefficients.push(random);
	}
	Ok((1..=count)
		.map(|x| {
			let mut y = [0u8; 32];
			for (byte, value) in y.iter_mut().enumerate() {
				// Horner's rule from the highest coefficient down.
				*value = coefficients.iter().rev().fold(0, |acc, c| mul(acc, x) ^ c[byte]);
			}
			Share { x, y }
		})
		.collect())
}

/// The secret behind `shares` (at least the threshold of them, at distinct points).
/// Fewer than the threshold yield an unrelated value: the caller counts its shares.
pub fn combine(shares: &[Share]) -> Result<Seed, SecAggError> {
	interpolate(shares, 0)
}

/// The value at the point `at` of the polynomials through `shares` (distinct, non-zero
/// points): the secret at zero ([`combine`]), or what the share at `at` must be if `shares`
/// are honest, which tells a wrong share among the others.
pub fn interpolate(shares: &[Share], at: u8) -> Result<Seed, SecAggError> {
	if shares.is_empty() {
		return Err(SecAggError::NoShares);
	}
	for (i, share) in shares.iter().enumerate() {
		if share.x == 0 || shares[..i].iter().any(|other| other.x == share.x) {
			return Err(SecAggError::InvalidShares);
		}
	}
	let mut value = [0u8; 32];
	for (i, share) in shares.iter().enumerate() {
		// The Lagrange basis polynomial of point i at `at`: Π_{j≠i} (at − x_j) / (x_i − x_j)
		// (subtraction is addition, XOR, in GF(2⁸)).
		let basis = shares
			.iter()
			.enumerate()
			.filter(|(j, _)| *j != i)
			.fold(1u8, |acc, (_, o)| mul(acc, div(at ^ o.x, share.x ^ o.x)));
		for (v, y) in value.iter_mut().zip(share.y) {
			*v ^= mul(basis, y);
		}
	}
	Ok(value)
}

#[cfg(test)]
mod tests {
	use super::*;
	use rand::SeedableRng;
	use rand_chacha::ChaCha20Rng;

	#[test]
	fn the_field_is_the_aes_field() {
		// FIPS-197, 4.2: {57} • {83} = {c1}, {57} • {13} = {fe}.
		assert_eq!(mul(0x57, 0x83), 0xc1);
		assert_eq!(mul(0x57, 0x13), 0xfe);
		for a in 1..=255u8 {
			assert_eq!(div(mul(a, 0x53), 0x53), a);
		}
	}

	#[test]
	fn any_threshold_of_shares_recover_the_secret_and_fewer_do_not() {
		let mut rng = ChaCha20Rng::seed_from_u64(7);
		let secret = [0xa5; 32];
		let shares = split(&secret, 3, 5, &mut rng).unwrap();
		for picked in [[0, 1, 2], [0, 2, 4], [4, 3, 1]] {
			let subset: Vec<Share> = picked.iter().map(|&i| shares[i].clone()).collect();
			assert_eq!(combine(&subset), Ok(secret));
		}
		assert_ne!(combine(&shares[..2]), Ok(secret));
		assert_eq!(combine(&shares), Ok(secret), "more than the threshold is fine");
	}

	#[test]
	fn a_threshold_of_shares_predicts_every_other_share() {
		let mut rng = ChaCha20Rng::seed_from_u64(8);
		let shares = split(&[0x3c; 32], 3, 6, &mut rng).unwrap();
		for other in &shares[3..] {
			assert_eq!(interpolate(&shares[..3], other.x), Ok(other.y));
		}
		let mut wrong = shares[4].clone();
		wrong.y[9] ^= 0x40;
		assert_ne!(interpolate(&shares[..3], wrong.x), Ok(wrong.y));
	}

	#[test]
	fn bad_thresholds_and_share_sets_are_named() {
		let mut rng = ChaCha20Rng::seed_from_u64(7);
		assert_eq!(split(&[1; 32], 0, 3, &mut rng), Err(SecAggError::InvalidThreshold));
		assert_eq!(split(&[1; 32], 4, 3, &mut rng), Err(SecAggError::InvalidThreshold));
		let shares = split(&[1; 32], 2, 3, &mut rng).unwrap();
		assert_eq!(combine(&[]), Err(SecAggError::NoShares));
		let twice = [shares[0].clone(), shares[0].clone()];
		assert_eq!(combine(&twice), Err(SecAggError::InvalidShares));
		let at_zero = [Share { x: 0, y: [0; 32] }, shares[1].clone()];
		assert_eq!(combine(&at_zero), Err(SecAggError::InvalidShares));
	}
}
