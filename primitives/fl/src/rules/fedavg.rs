//! Sample-weighted FedAvg: `round_half_away_from_zero(Σ nᵢ·vᵢ / Σ nᵢ)` per coordinate.
//!
//! The sum is exact. When `Σ nᵢ ≤ 2^31` it fits `u64` in a biased form that vectorizes
//! well: with `uᵢ = vᵢ + 2^31` (an unsigned 32-bit value), `Σ nᵢ·uᵢ < 2^63` and
//! `Σ nᵢ·vᵢ = Σ nᵢ·uᵢ − 2^31·Σ nᵢ`. Larger totals take an `i128` path. Both paths compute
//! the same integer, so the choice never shows in the output.
//!
//! Throughput: the `u64` kernel accumulates four updates per pass over a block of sums
//! that stays in L1, and divides by the constant `2·Σ nᵢ` with a multiply
//! ([`Reciprocal`]). With `std` on x86-64 the same kernel is also compiled for AVX2 and
//! picked at run time; being integer code, it computes the same bits as the portable
//! build. `benches/fedavg.rs` compares it with memcpy.

use alloc::vec;
use alloc::vec::Vec;

use super::exec::{Executor, BLOCK};
use super::{
	div_round_half_away, narrow, total_samples, uniform_shape, AggregateError, Aggregator,
};
use crate::encoding::Update;

/// Largest `Σ nᵢ` for which the `u64` path cannot overflow.
const U64_PATH_MAX_TOTAL: u64 = 1 << 31;
/// `2^31`: maps `i32` onto `u32` order-preservingly (`v + BIAS`).
const BIAS: u32 = 1 << 31;

/// Sample-weighted mean of the updates (Flower's `FedAvg`), in exact integer arithmetic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FedAvg;

impl Aggregator for FedAvg {
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError> {
		let (schema_hash, _) = uniform_shape(updates)?;
		let num_samples = total_samples(updates)?;
		let values = weighted_mean(executor, updates, num_samples)?;
		Ok(Update { schema_hash, author: crate::NO_AUTHOR, num_samples, values })
	}
}

/// The FedAvg values from their weighted sum `Σ nᵢ·vᵢ` (as secure aggregation recovers it)
/// and `total = Σ nᵢ`: the same rounding as [`FedAvg`], so a secure subgroup's aggregate is
/// bit for bit the plain FedAvg of the same updates.
pub fn mean_of_weighted_sum(weighted_sum: &[i64], total: u64) -> Result<Vec<i32>, AggregateError> {
	if total == 0 {
		return Err(AggregateError::NoSamples);
	}
	Ok(weighted_sum
		.iter()
		.map(|sum| narrow(div_round_half_away(i128::from(*sum), i128::from(total))))
		.collect())
}

/// Weighted mean of uniform, non-empty `updates` whose sample counts sum to `total`.
pub(crate) fn weighted_mean<E: Executor>(
	executor: &E,
	updates: &[&Update],
	total: u64,
) -> Result<Vec<i32>, AggregateError> {
	if total == 0 {
		return Err(AggregateError::NoSamples);
	}
	let len = updates.first().map_or(0, |update| update.values.len());
	let mut out = vec![0i32; len];
	if total <= U64_PATH_MAX_TOTAL {
		executor.for_each_block(&mut out, updates.len(), |start, block| {
			weighted_mean_block_u64(updates, total, start, block)
		});
	} else {
		executor.for_each_block(&mut out, updates.len(), |start, block| {
			weighted_mean_block_i128(updates, total, start, block)
		});
	}
	Ok(out)
}

/// `u64` path for `total ≤ 2^31` (module docs).
///
/// The rounding happens on the biased sum `S = Σ nᵢ·uᵢ`, where `S / T = mean + 2^31`:
/// adding an integer does not move the fractional part, so with `T = Σ nᵢ`
/// `round_half_away_from_zero(mean) + 2^31` is `floor((2S + T) / 2T)` when the mean is
/// non-negative (`S ≥ 2^31·T`) and `ceil((2S − T) / 2T) = floor((2S + T − 1) / 2T)` when
/// it is negative. `2S + T < 2^64`, and the division by the constant `2T` is a multiply
/// ([`Reciprocal`]).
fn weighted_mean_block_u64(updates: &[&Update], total: u64, start: usize, out: &mut [i32]) {
	#[cfg(all(feature = "std", target_arch = "x86_64"))]
	if std::is_x86_feature_detected!("avx2") {
		// SAFETY: the CPU supports AVX2, checked on the line above.
		unsafe { weighted_mean_block_u64_avx2(updates, total, start, out) };
		return;
	}
	weighted_mean_block_u64_portable(updates, total, start, out)
}

/// The same kernel compiled for AVX2 (twice the vector width of the x86-64 baseline);
/// integer arithmetic, so the results are identical.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn weighted_mean_block_u64_avx2(updates: &[&Update], total: u64, start: usize, out: &mut [i32]) {
	weighted_mean_block_u64_portable(updates, total, start, out)
}

#[inline(always)]
fn weighted_mean_block_u64_portable(
	updates: &[&Update],
	total: u64,
	start: usize,
	out: &mut [i32],
) {
	let mut sums = [0u64; BLOCK];
	let sums = &mut sums[..out.len()];
	let range = start..start + out.len();
	// num_samples ≤ total ≤ 2^31: u32 weights let the u32 × u32 → u64 products
	// vectorize. Four updates per pass over `sums` cut its loads and stores by four;
	// any partial sum is still ≤ Σ nᵢ·uᵢ < 2^63.
	let weight = |update: &Update| u64::from(update.num_samples as u32);
	let mut groups = updates.chunks_exact(4);
	for group in &mut groups {
		let [a, b, c, d] = [group[0], group[1], group[2], group[3]];
		let weights = [weight(a), weight(b), weight(c), weight(d)];
		let columns = sums
			.iter_mut()
			.zip(&a.values[range.clone()])
			.zip(&b.values[range.clone()])
			.zip(&c.values[range.clone()])
			.zip(&d.values[range.clone()]);
		for ((((sum, va), vb), vc), vd) in columns {
			*sum += weights[0] * biased(*va)
				+ weights[1] * biased(*vb)
				+ weights[2] * biased(*vc)
				+ weights[3] * biased(*vd);
		}
	}
	for update in groups.remainder() {
		let weight = weight(update);
		for (sum, value) in sums.iter_mut().zip(&update.values[range.clone()]) {
			*sum += weight * biased(*value);
		}
	}
	let zero = u64::from(BIAS) * total;
	let divisor = Reciprocal::new(2 * total);
	for (value, sum) in out.iter_mut().zip(sums.iter()) {
		let negative = u64::from(*sum < zero);
		let biased_mean = divisor.divide(2 * sum + total - negative);
		// biased_mean < 2^32 is the rounded mean + 2^31; flipping the sign bit removes
		// the bias. A weighted mean lies between the extreme inputs: always an i32.
		*value = ((biased_mean as u32) ^ BIAS) as i32;
	}
}

/// `value + 2^31` as an unsigned number (flipping the sign bit), widened.
#[inline(always)]
fn biased(value: i32) -> u64 {
	u64::from((value as u32) ^ BIAS)
}

/// Exact `floor(x / d)` for `x < 2^64`, `2 ≤ d ≤ 2^33`, by multiplication.
///
/// With `m = floor(2^64 / d)`, `x·m / 2^64` lies in `(x/d − 1, x/d]`, so its floor is the
/// quotient or one less; one comparison of the remainder fixes it.
#[derive(Clone, Copy)]
struct Reciprocal {
	divisor: u64,
	multiplier: u64,
}

impl Reciprocal {
	fn new(divisor: u64) -> Self {
		debug_assert!(divisor >= 2);
		Self { divisor, multiplier: ((1u128 << 64) / u128::from(divisor.max(2))) as u64 }
	}

	#[inline(always)]
	fn divide(&self, x: u64) -> u64 {
		let estimate = ((u128::from(x) * u128::from(self.multiplier)) >> 64) as u64;
		let remainder = x - estimate * self.divisor;
		estimate + u64::from(remainder >= self.divisor)
	}
}

/// `i128` path for any `total` (`|Σ nᵢ·vᵢ| < 2^95`).
fn weighted_mean_block_i128(updates: &[&Update], total: u64, start: usize, out: &mut [i32]) {
	let mut sums = [0i128; BLOCK];
	let sums = &mut sums[..out.len()];
	for update in updates {
		let weight = i128::from(update.num_samples);
		let values = &update.values[start..start + out.len()];
		for (sum, value) in sums.iter_mut().zip(values) {
			*sum += weight * i128::from(*value);
		}
	}
	for (value, sum) in out.iter_mut().zip(sums.iter()) {
		*value = narrow(div_round_half_away(*sum, i128::from(total)));
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	use crate::rules::tests::update;

	#[test]
	fn weighted_mean_by_hand() {
		let a = update(1, vec![0, 10, -10, 3, i32::MAX, i32::MIN]);
		let b = update(3, vec![4, 11, -11, 4, i32::MAX, i32::MIN]);
		// (0 + 12)/4 = 3; (10 + 33)/4 = 10.75 → 11; (−10 − 33)/4 = −10.75 → −11;
		// (3 + 12)/4 = 3.75 → 4; extremes stay exact.
		let out = FedAvg.aggregate(&[&a, &b]).unwrap();
		assert_eq!(out.values, vec![3, 11, -11, 4, i32::MAX, i32::MIN]);
		assert_eq!(out.num_samples, 4);
	}

	#[test]
	fn the_mean_of_a_weighted_sum_is_fedavg_bit_for_bit() {
		let a = update(3, vec![0, 10, -10, 3, i32::MAX, i32::MIN, 7]);
		let b = update(5, vec![4, 11, -11, 4, i32::MAX, i32::MIN, -8]);
		let c = update(1, vec![-1, 1, 2, -3, 0, 0, 1]);
		let sum: Vec<i64> = (0..7)
			.map(|k| {
				[&a, &b, &c].iter().map(|u| u.num_samples as i64 * i64::from(u.values[k])).sum()
			})
			.collect();
		let plain = FedAvg.aggregate(&[&a, &b, &c]).unwrap().values;
		assert_eq!(mean_of_weighted_sum(&sum, 9), Ok(plain));
		assert_eq!(mean_of_weighted_sum(&sum, 0), Err(AggregateError::NoSamples));
	}

	#[test]
	fn exact_halves_round_away_from_zero() {
		let a = update(1, vec![1, -1, 2, -2]);
		let b = update(1, vec![2, -2, 2, -3]);
		// 1.5 → 2, −1.5 → −2, 2 → 2, −2.5 → −3.
		assert_eq!(FedAvg.aggregate(&[&a, &b]).unwrap().values, vec![2, -2, 2, -3]);
	}

	#[test]
	fn large_totals_take_the_i128_path_with_the_same_result() {
		let values_a = vec![7, -7, 1000, i32::MIN, i32::MAX, 5];
		let values_b = vec![8, -8, -1000, i32::MIN, i32::MAX, -6];
		let small = FedAvg
			.aggregate(&[&update(1, values_a.clone()), &update(2, values_b.clone())])
			.unwrap();
		let scale = 1u64 << 40;
		let large = FedAvg
			.aggregate(&[&update(scale, values_a), &update(2 * scale, values_b)])
			.unwrap();
		assert_eq!(small.values, large.values);
		assert_eq!(large.num_samples, 3 * scale);
	}

	#[test]
	fn zero_samples_and_overflow_are_named() {
		let a = update(0, vec![1]);
		assert_eq!(FedAvg.aggregate(&[&a, &a]), Err(AggregateError::NoSamples));
		let big = update(u64::MAX, vec![1]);
		assert_eq!(FedAvg.aggregate(&[&big, &big]), Err(AggregateError::SampleCountOverflow));
		// A zero-weight update does not move the mean.
		let b = update(5, vec![9]);
		assert_eq!(FedAvg.aggregate(&[&a, &b]).unwrap().values, vec![9]);
	}

	#[test]
	fn reciprocal_division_is_exact() {
		use rand::{Rng, SeedableRng};
		let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
		for divisor in [2u64, 3, 7, 1 << 20, (1 << 32) - 1, 1 << 32, (1 << 32) + 2, 1 << 33] {
			let reciprocal = Reciprocal::new(divisor);
			for x in [
				0,
				1,
				divisor - 1,
				divisor,
				divisor + 1,
				u64::MAX,
				u64::MAX - 1,
				u64::MAX - divisor,
			] {
				assert_eq!(reciprocal.divide(x), x / divisor, "{x} / {divisor}");
			}
			for _ in 0..10_000 {
				let x: u64 = rng.gen();
				assert_eq!(reciprocal.divide(x), x / divisor, "{x} / {divisor}");
			}
		}
	}

	#[test]
	fn blocks_boundaries_do_not_matter() {
		let len = 2 * BLOCK + 17;
		let a = update(2, (0..len as i32).collect());
		let b = update(1, (0..len as i32).map(|v| -3 * v).collect());
		let out = FedAvg.aggregate(&[&a, &b]).unwrap();
		for (index, value) in out.values.iter().enumerate() {
			// (2v − 3v)/3 = −v/3
			let expected = div_round_half_away(-(index as i128), 3) as i32;
			assert_eq!(*value, expected, "coordinate {index}");
		}
	}
}
