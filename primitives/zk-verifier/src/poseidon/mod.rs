//! Fixed Poseidon parameters over the BN254 scalar field.
//!
//! | parameter | value | why |
//! |---|---|---|
//! | state width `t` | 9 (rate 8, capacity 1) | 8 field elements absorbed per permutation: ~51 constraints per absorbed element in-circuit, versus ~120 at width 3 |
//! | S-box | `x^5` (α = 5) | the smallest α with `gcd(α, r − 1) = 1` for BN254 |
//! | full rounds `R_F` | 8 | standard 128-bit table (Poseidon paper, Table 2 / circomlib) |
//! | partial rounds `R_P` | 63 | the same table's value for `t = 9`, α = 5, 254-bit prime |
//! | round constants, MDS | `find_poseidon_ark_and_mds::<Fr>(254, 8, 8, 63, 0)` | Grain LFSR as in the Poseidon reference; deterministic |
//!
//! The sponge is arkworks' duplex construction (absorb adds into the rate part of the
//! state, a permutation after each full block; squeeze reads `state[1]`): in the circuit
//! `PoseidonSpongeVar` with this [`config`], natively [`Sponge`] over the rewritten rounds of
//! [`permutation`] (same output, a third of the multiplications); [`sponge_hash`] keeps
//! arkworks' own `PoseidonSponge` as the reference the tests and benchmarks compare with. A
//! known-answer test pins the parameters: a change to any of them changes every commitment
//! and every verifying key, so it must be a new commitment version.
use alloc::vec::Vec;
use ark_bn254::Fr;
use ark_crypto_primitives::sponge::poseidon::{find_poseidon_ark_and_mds, PoseidonConfig};
use ark_ff::{PrimeField, Zero};

pub mod permutation;
pub use permutation::{Permutation, WIDTH};

/// Elements absorbed per permutation.
pub const RATE: usize = 8;
/// Capacity in field elements (≈ 127-bit security level at 254 bits per element).
pub const CAPACITY: usize = 1;
/// S-box exponent.
pub const ALPHA: u64 = 5;
/// Full rounds (half before, half after the partial rounds).
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds for width 9, α = 5 on a 254-bit field.
pub const PARTIAL_ROUNDS: usize = 63;

/// Builds the Poseidon configuration (round constants and MDS matrix derived from the Grain
/// LFSR). Deterministic; takes well under a millisecond in release builds. Under `std` the
/// result is cached, see [`config`].
pub fn build_config() -> PoseidonConfig<Fr> {
	let (ark, mds): (Vec<Vec<Fr>>, Vec<Vec<Fr>>) = find_poseidon_ark_and_mds::<Fr>(
		u64::from(Fr::MODULUS_BIT_SIZE),
		RATE,
		FULL_ROUNDS as u64,
		PARTIAL_ROUNDS as u64,
		0,
	);
	PoseidonConfig::new(FULL_ROUNDS, PARTIAL_ROUNDS, ALPHA, mds, ark, RATE, CAPACITY)
}

/// The Poseidon configuration every DIN commitment uses (cached under `std`).
#[cfg(feature = "std")]
pub fn config() -> &'static PoseidonConfig<Fr> {
	static CONFIG: std::sync::OnceLock<PoseidonConfig<Fr>> = std::sync::OnceLock::new();
	CONFIG.get_or_init(build_config)
}

/// The Poseidon configuration every DIN commitment uses (rebuilt per call without `std`).
#[cfg(not(feature = "std"))]
pub fn config() -> PoseidonConfig<Fr> {
	build_config()
}

/// The precomputed permutation of [`config`] (cached under `std`).
#[cfg(feature = "std")]
pub fn permutation() -> &'static Permutation {
	static PERMUTATION: std::sync::OnceLock<Permutation> = std::sync::OnceLock::new();
	PERMUTATION.get_or_init(|| Permutation::new(config()))
}

/// The precomputed permutation of [`config`] (rebuilt per call without `std`).
#[cfg(not(feature = "std"))]
pub fn permutation() -> Permutation {
	Permutation::new(&config())
}

/// A fresh duplex sponge fed one element at a time: [`hash`] without holding the input.
pub struct Sponge<'a> {
	permutation: &'a Permutation,
	state: [Fr; WIDTH],
	/// Elements absorbed into the current block.
	filled: usize,
}

impl<'a> Sponge<'a> {
	/// An empty sponge over `permutation` (normally [`permutation()`]).
	pub fn new(permutation: &'a Permutation) -> Self {
		Self { permutation, state: [Fr::zero(); WIDTH], filled: 0 }
	}

	/// Adds `element` to the rate part, permuting first when the block is full (as
	/// arkworks does: a full block is permuted only once more input arrives).
	pub fn absorb(&mut self, element: Fr) {
		if self.filled == RATE {
			self.permutation.permute(&mut self.state);
			self.filled = 0;
		}
		self.state[CAPACITY + self.filled] += element;
		self.filled += 1;
	}

	/// Permutes once more and returns the first rate element.
	pub fn squeeze(mut self) -> Fr {
		self.permutation.permute(&mut self.state);
		self.state[CAPACITY]
	}
}

/// Hashes a sequence of field elements: absorb all of them into a fresh sponge, squeeze one.
pub fn hash(elements: &[Fr]) -> Fr {
	hash_with(|sponge| elements.iter().for_each(|e| sponge.absorb(*e)))
}

/// What [`hash`] gives for the elements `feed` absorbs into a fresh sponge, without
/// collecting them first.
pub fn hash_with(feed: impl FnOnce(&mut Sponge)) -> Fr {
	#[cfg(feature = "std")]
	let permutation = permutation();
	#[cfg(not(feature = "std"))]
	let permutation = &permutation();
	let mut sponge = Sponge::new(permutation);
	feed(&mut sponge);
	sponge.squeeze()
}

/// [`hash`] through arkworks' `PoseidonSponge` and the textbook rounds: the reference the
/// tests and the `poseidon` benchmark compare [`hash`] with. Not for production use (about
/// three times slower).
pub fn sponge_hash(elements: &[Fr]) -> Fr {
	use ark_crypto_primitives::sponge::{poseidon::PoseidonSponge, CryptographicSponge};
	#[allow(clippy::needless_borrow)]
	let mut sponge = PoseidonSponge::<Fr>::new(&config());
	sponge.absorb(&elements);
	let out: Vec<Fr> = sponge.squeeze_field_elements(1);
	out.first().copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::{BigInteger, PrimeField};

	fn hex(f: &Fr) -> alloc::string::String {
		f.into_bigint()
			.to_bytes_be()
			.iter()
			.map(|b| alloc::format!("{b:02x}"))
			.collect()
	}

	#[test]
	fn parameters_have_the_documented_shape() {
		let c = build_config();
		assert_eq!(c.ark.len(), FULL_ROUNDS + PARTIAL_ROUNDS);
		assert!(c.ark.iter().all(|r| r.len() == RATE + CAPACITY));
		assert_eq!(c.mds.len(), RATE + CAPACITY);
		assert_eq!((c.alpha, c.rate, c.capacity), (ALPHA, RATE, CAPACITY));
	}

	/// Pins the derived constants and the permutation: first/last round constant, one MDS
	/// entry and the hash of `[1, 2, 3]`.
	#[test]
	fn known_answer() {
		let c = build_config();
		let input = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)];
		let got = [hex(&c.ark[0][0]), hex(&c.ark[70][8]), hex(&c.mds[0][0]), hex(&hash(&input))];
		assert_eq!(got, KAT, "Poseidon parameters changed: {got:?}");
	}

	/// Every length from empty to four blocks and a few beyond, on random elements: the
	/// rewritten sponge and arkworks' agree (padding, block edges, the empty input).
	#[test]
	fn hash_equals_the_arkworks_sponge_at_every_length() {
		use ark_ff::UniformRand;
		let mut rng = ark_std::test_rng();
		let input: Vec<Fr> = (0..100).map(|_| Fr::rand(&mut rng)).collect();
		for len in (0..=4 * RATE + 1).chain([63, 64, 65, 100]) {
			assert_eq!(hash(&input[..len]), sponge_hash(&input[..len]), "length {len}");
		}
	}

	const KAT: [&str; 4] = [
		"2088ce9534577bf38be7bc457f2756d558d66e0c07b9cc001a580bd42cda0e77",
		"0ef2861f4ec9ba5fec74ba22c0b7af9d458c3cd8f90c825c1f36110ca2ee9076",
		"0190f922d97c8a7dcf0a142a3be27749d1c64bc22f1c556aaa24925d158cac56",
		"08ad71ead7538726e239106bd78548467399f4a8b455c31e5896f02d61a01c16",
	];
}
