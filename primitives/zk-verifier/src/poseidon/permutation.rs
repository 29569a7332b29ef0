//! The Poseidon permutation of [`super::config`], rewritten for speed with bit-identical
//! output.
//!
//! The textbook round is `s ← M · S(s + c)`: a dense 9 × 9 MDS product (81 multiplications)
//! in every one of the 71 rounds, although 63 of them (the partial rounds) raise only `s[0]`
//! to the fifth power. Two exact rewrites of the partial rounds, from the Poseidon paper's
//! Appendix B, leave the permutation unchanged over the field and cut it to about a third of
//! the multiplications:
//!
//! 1. **Constants pushed forward.** In a partial round only `s[0]` passes the S-box, so the
//!    rest of the round constant `(0, c₁…c₈)` can be carried through the linear layer
//!    (`M · (0, c_rest)`) into the next round's constant. Done for every partial round, each
//!    adds one scalar to `s[0]`, and the carry lands in the first full round after them.
//! 2. **Sparse linear layers.** With `M = [[m₀₀, rᵀ], [c, M̂]]`, any matrix `A` with the first
//!    row of `M` factors as `A = S · P` with `P = diag(1, Â)` (`Â` its lower-right block) and
//!    `S = [[m₀₀, ŵᵀ], [a_col, I]]`, `ŵ = Â⁻ᵀ r`. `P` leaves `s[0]` alone, so it commutes with
//!    a partial S-box and a scalar constant and moves into the previous round's matrix. From
//!    the last partial round backwards, round `j` keeps only `S_j` (17 multiplications) and
//!    the last full round before the partial ones takes `diag(1, M̂⁶³) · M`. With `k` rounds
//!    to the end, `Â = M̂ᵏ`, so `ŵ_j = (M̂⁻ᵀ)ᵏ r` and `a_col = M̂ᵏ⁻¹ c`: one 8 × 8 inverse.
//!
//! The dense products use `Fr::sum_of_products` (one Montgomery reduction per three
//! products on BN254's 254-bit modulus), and the state is a fixed array updated in place.
//! `tests` check the permutation against the textbook rounds and [`super::hash`] against
//! arkworks' `PoseidonSponge` on every length up to several blocks.
use super::{CAPACITY, FULL_ROUNDS, PARTIAL_ROUNDS, RATE};
use alloc::vec::Vec;
use ark_bn254::Fr;
use ark_crypto_primitives::sponge::poseidon::PoseidonConfig;
use ark_ff::{AdditiveGroup, Field, Zero};

/// State width `t`.
pub const WIDTH: usize = RATE + CAPACITY;
const REST: usize = WIDTH - 1;
const HALF_FULL: usize = FULL_ROUNDS / 2;

type Matrix = [[Fr; WIDTH]; WIDTH];

/// A partial round's linear layer `[[m₀₀, ŵᵀ], [v, I]]`.
#[derive(Clone, Debug)]
struct SparseLayer {
	row: [Fr; WIDTH],
	column: [Fr; REST],
}

impl SparseLayer {
	#[inline(always)]
	fn apply(&self, s: &mut [Fr; WIDTH]) {
		let first = s[0];
		s[0] = Fr::sum_of_products(&self.row, s);
		for (x, v) in s[1..].iter_mut().zip(&self.column) {
			*x += first * v;
		}
	}
}

/// The permutation with its constants and linear layers precomputed (see the module docs).
#[derive(Clone, Debug)]
pub struct Permutation {
	/// Round constants of the full rounds, the first after the partial rounds carrying
	/// what those pushed forward.
	full_constants: Vec<[Fr; WIDTH]>,
	mds: Matrix,
	/// `diag(1, M̂⁶³) · M`: the linear layer of the last full round before the partial ones.
	entry: Matrix,
	/// The scalar each partial round adds to `s[0]`.
	partial_constants: Vec<Fr>,
	sparse: Vec<SparseLayer>,
}

impl Permutation {
	/// Precomputes the rewritten rounds from the DIN configuration.
	///
	/// # Panics
	/// If `config` is not of DIN's shape (width 9, 8 full and 63 partial rounds, α = 5) or
	/// the MDS matrix's lower-right block is singular; neither holds for
	/// [`super::build_config`] (its known-answer test pins it).
	pub fn new(config: &PoseidonConfig<Fr>) -> Self {
		assert_eq!(
			(config.rate, config.capacity, config.full_rounds, config.partial_rounds, config.alpha),
			(RATE, CAPACITY, FULL_ROUNDS, PARTIAL_ROUNDS, super::ALPHA),
			"Poseidon configuration is not DIN's"
		);
		let mds: Matrix = core::array::from_fn(|i| core::array::from_fn(|j| config.mds[i][j]));
		let ark = |round: usize| -> [Fr; WIDTH] { core::array::from_fn(|i| config.ark[round][i]) };

		// 1. Constants pushed forward through the partial rounds.
		let mut carry = [Fr::zero(); WIDTH];
		let mut partial_constants = Vec::with_capacity(PARTIAL_ROUNDS);
		for round in HALF_FULL..HALF_FULL + PARTIAL_ROUNDS {
			let mut c = add(&ark(round), &carry);
			partial_constants.push(c[0]);
			c[0] = Fr::zero();
			carry = mul(&mds, &c);
		}
		let mut full_constants: Vec<[Fr; WIDTH]> = (0..HALF_FULL).map(ark).collect();
		let after = HALF_FULL + PARTIAL_ROUNDS;
		full_constants.push(add(&ark(after), &carry));
		full_constants.extend((after + 1..FULL_ROUNDS + PARTIAL_ROUNDS).map(ark));

		// 2. Sparse layers, from the last partial round backwards.
		let hat: [[Fr; REST]; REST] =
			core::array::from_fn(|i| core::array::from_fn(|j| mds[i + 1][j + 1]));
		let hat_inv_t = transpose(&invert(&hat).expect("the MDS matrix's minors are invertible"));
		let first_row: [Fr; REST] = core::array::from_fn(|j| mds[0][j + 1]);
		let mut w = first_row;
		let mut v: [Fr; REST] = core::array::from_fn(|i| mds[i + 1][0]);
		let mut sparse = Vec::with_capacity(PARTIAL_ROUNDS);
		for _ in 0..PARTIAL_ROUNDS {
			w = mul(&hat_inv_t, &w);
			let mut row = [mds[0][0]; WIDTH];
			row[1..].copy_from_slice(&w);
			sparse.push(SparseLayer { row, column: v });
			v = mul(&hat, &v);
		}
		sparse.reverse();

		// The entry layer: diag(1, M̂^R_P) · M, one M̂ at a time.
		let mut entry = mds;
		for _ in 0..PARTIAL_ROUNDS {
			let lower: [[Fr; WIDTH]; REST] = core::array::from_fn(|i| {
				core::array::from_fn(|j| (0..REST).map(|k| hat[i][k] * entry[k + 1][j]).sum())
			});
			entry[1..].copy_from_slice(&lower);
		}
		Self { full_constants, mds, entry, partial_constants, sparse }
	}

	/// Applies the permutation to `state` in place.
	pub fn permute(&self, state: &mut [Fr; WIDTH]) {
		for (round, constants) in self.full_constants[..HALF_FULL].iter().enumerate() {
			full_sbox(state, constants);
			let layer = if round + 1 == HALF_FULL { &self.entry } else { &self.mds };
			*state = mul_dense(layer, state);
		}
		for (constant, layer) in self.partial_constants.iter().zip(&self.sparse) {
			state[0] += constant;
			state[0] = pow5(state[0]);
			layer.apply(state);
		}
		for constants in &self.full_constants[HALF_FULL..] {
			full_sbox(state, constants);
			*state = mul_dense(&self.mds, state);
		}
	}
}

#[inline(always)]
fn pow5(x: Fr) -> Fr {
	let x2 = x.square();
	x2.square() * x
}

#[inline(always)]
fn full_sbox(state: &mut [Fr; WIDTH], constants: &[Fr; WIDTH]) {
	for (x, c) in state.iter_mut().zip(constants) {
		*x = pow5(*x + c);
	}
}

#[inline(always)]
fn mul_dense(m: &Matrix, s: &[Fr; WIDTH]) -> [Fr; WIDTH] {
	core::array::from_fn(|i| Fr::sum_of_products(&m[i], s))
}

fn add<const N: usize>(a: &[Fr; N], b: &[Fr; N]) -> [Fr; N] {
	core::array::from_fn(|i| a[i] + b[i])
}

fn mul<const N: usize>(m: &[[Fr; N]; N], v: &[Fr; N]) -> [Fr; N] {
	core::array::from_fn(|i| m[i].iter().zip(v).map(|(a, b)| *a * b).sum())
}

fn transpose<const N: usize>(m: &[[Fr; N]; N]) -> [[Fr; N]; N] {
	core::array::from_fn(|i| core::array::from_fn(|j| m[j][i]))
}

/// Gauss–Jordan inverse; `None` if `m` is singular.
fn invert<const N: usize>(m: &[[Fr; N]; N]) -> Option<[[Fr; N]; N]> {
	let mut a = *m;
	let mut inv: [[Fr; N]; N] =
		core::array::from_fn(|i| core::array::from_fn(|j| if i == j { Fr::ONE } else { Fr::ZERO }));
	for col in 0..N {
		let pivot = (col..N).find(|&r| !a[r][col].is_zero())?;
		a.swap(col, pivot);
		inv.swap(col, pivot);
		let scale = a[col][col].inverse()?;
		for j in 0..N {
			a[col][j] *= scale;
			inv[col][j] *= scale;
		}
		for r in (0..N).filter(|&r| r != col) {
			let factor = a[r][col];
			if factor.is_zero() {
				continue;
			}
			for j in 0..N {
				let (ac, ic) = (a[col][j], inv[col][j]);
				a[r][j] -= factor * ac;
				inv[r][j] -= factor * ic;
			}
		}
	}
	Some(inv)
}

#[cfg(test)]
mod tests {
	use super::*;
	use ark_ff::UniformRand;
	use ark_std::test_rng;

	/// `s ← M · S(s + c)` for every round, as the Poseidon paper and arkworks write it.
	fn textbook_permute(config: &PoseidonConfig<Fr>, s: &mut [Fr; WIDTH]) {
		for round in 0..FULL_ROUNDS + PARTIAL_ROUNDS {
			let full = round < HALF_FULL || round >= HALF_FULL + PARTIAL_ROUNDS;
			for (x, c) in s.iter_mut().zip(&config.ark[round]) {
				*x += c;
			}
			for x in s.iter_mut().take(if full { WIDTH } else { 1 }) {
				*x = x.pow([super::super::ALPHA]);
			}
			*s = core::array::from_fn(|i| (0..WIDTH).map(|j| config.mds[i][j] * s[j]).sum());
		}
	}

	#[test]
	fn rewritten_rounds_permute_as_the_textbook_rounds() {
		let config = super::super::build_config();
		let fast = Permutation::new(&config);
		let mut rng = test_rng();
		let mut states: Vec<[Fr; WIDTH]> =
			alloc::vec![[Fr::zero(); WIDTH], core::array::from_fn(|i| Fr::from(i as u64))];
		states.extend((0..8).map(|_| core::array::from_fn(|_| Fr::rand(&mut rng))));
		for state in states {
			let (mut a, mut b) = (state, state);
			textbook_permute(&config, &mut a);
			fast.permute(&mut b);
			assert_eq!(a, b, "from {state:?}");
		}
	}

	#[test]
	fn invert_inverts_and_refuses_a_singular_matrix() {
		let mut rng = test_rng();
		let m: [[Fr; 4]; 4] =
			core::array::from_fn(|_| core::array::from_fn(|_| Fr::rand(&mut rng)));
		let inv = invert(&m).unwrap();
		let product: [[Fr; 4]; 4] = core::array::from_fn(|i| {
			core::array::from_fn(|j| (0..4).map(|k| m[i][k] * inv[k][j]).sum())
		});
		let identity: [[Fr; 4]; 4] =
			core::array::from_fn(|i| core::array::from_fn(|j| Fr::from((i == j) as u64)));
		assert_eq!(product, identity);
		let mut singular = m;
		singular[3] = singular[0];
		assert!(invert(&singular).is_none());
	}
}
