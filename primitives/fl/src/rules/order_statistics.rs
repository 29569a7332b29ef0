//! Coordinate-wise order statistics: median and trimmed mean.
//!
//! For each coordinate the `N` input values are gathered and sorted; the output depends
//! only on the sorted values, hence not on input order. Both rules are unweighted per
//! coordinate (a Byzantine participant could otherwise claim a huge `num_samples`); the
//! output carries `Σ nᵢ` so that the global combination still weights it by data size.

use alloc::vec;
use alloc::vec::Vec;

use super::exec::Executor;
use super::{div_round_half_away, total_samples, uniform_shape, AggregateError, Aggregator};
use crate::encoding::Update;

/// Parts per million: the unit of [`TrimmedMean::beta_ppm`].
pub const PPM: u32 = 1_000_000;

/// Coordinate-wise median; for an even count, `floor((a + b) / 2)` of the two middle
/// values `a ≤ b` (floor toward −∞, so the median of `[-3, 0]` is `-2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Median;

/// Coordinate-wise trimmed mean: per coordinate, drop the `k = floor(beta_ppm · N / 10^6)`
/// lowest and `k` highest values and take the mean of the remaining `N − 2k`, rounded
/// half away from zero. Needs `beta_ppm < 500_000`, which keeps `N − 2k ≥ 1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrimmedMean {
	/// Fraction trimmed on each side, in parts per million (`100_000` = β 0.1).
	pub beta_ppm: u32,
}

impl TrimmedMean {
	/// Values trimmed on each side for `updates` inputs.
	pub fn trimmed_per_side(&self, updates: usize) -> usize {
		// u64 keeps the product exact for any realistic N; the quotient is ≤ N / 2.
		(u64::from(self.beta_ppm).saturating_mul(updates as u64) / u64::from(PPM)) as usize
	}
}

impl Aggregator for Median {
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError> {
		let count = updates.len();
		sorted_coordinate_rule(executor, updates, move |sorted| {
			let upper = sorted[count / 2];
			if count % 2 == 1 {
				upper
			} else {
				// Arithmetic shift of the exact i64 sum: floor toward −∞.
				((i64::from(sorted[count / 2 - 1]) + i64::from(upper)) >> 1) as i32
			}
		})
	}
}

impl Aggregator for TrimmedMean {
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError> {
		if self.beta_ppm >= PPM / 2 {
			return Err(AggregateError::TrimFractionTooLarge { beta_ppm: self.beta_ppm });
		}
		// β < 1/2 gives 2k < N: at least one value is kept per coordinate.
		let trim = self.trimmed_per_side(updates.len());
		let kept = (updates.len() - 2 * trim) as i128;
		sorted_coordinate_rule(executor, updates, move |sorted| {
			let sum: i64 = sorted[trim..sorted.len() - trim].iter().map(|v| i64::from(*v)).sum();
			// The mean of kept i32 values is an i32.
			div_round_half_away(i128::from(sum), kept) as i32
		})
	}
}

/// Applies `statistic` to the sorted values of every coordinate.
fn sorted_coordinate_rule<E, S>(
	executor: &E,
	updates: &[&Update],
	statistic: S,
) -> Result<Update, AggregateError>
where
	E: Executor,
	S: Fn(&[i32]) -> i32 + Sync + Send,
{
	let (schema_hash, len) = uniform_shape(updates)?;
	let num_samples = total_samples(updates)?;
	let mut values = vec![0i32; len];
	executor.for_each_block(&mut values, updates.len(), |start, block| {
		let mut column: Vec<i32> = Vec::with_capacity(updates.len());
		for (offset, out) in block.iter_mut().enumerate() {
			column.clear();
			column.extend(updates.iter().map(|update| update.values[start + offset]));
			column.sort_unstable();
			*out = statistic(&column);
		}
	});
	Ok(Update { schema_hash, author: crate::NO_AUTHOR, num_samples, values })
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::rules::tests::update;

	fn updates(columns: &[&[i32]]) -> Vec<Update> {
		columns
			.iter()
			.enumerate()
			.map(|(index, values)| update(index as u64 + 1, values.to_vec()))
			.collect()
	}

	#[test]
	fn median_odd_and_even_by_hand() {
		let odd = updates(&[&[5, -1], &[1, -7], &[3, 100]]);
		let out = Median.aggregate(&super::super::as_refs(&odd)).unwrap();
		assert_eq!(out.values, vec![3, -1]);
		assert_eq!(out.num_samples, 6);
		let even = updates(&[
			&[1, -3, i32::MAX, 4],
			&[2, 0, i32::MAX, 4],
			&[10, -10, 0, 9],
			&[-10, 10, 0, 9],
		]);
		// [−10,1,2,10] → (1+2)/2 = 1.5 → 1; [−10,−3,0,10] → −1.5 → −2;
		// [0,0,MAX,MAX] → floor(MAX/2); [4,4,9,9] → 6.5 → 6.
		let out = Median.aggregate(&super::super::as_refs(&even)).unwrap();
		assert_eq!(out.values, vec![1, -2, i32::MAX / 2, 6]);
	}

	#[test]
	fn trimmed_mean_by_hand() {
		let five = updates(&[&[1, -1], &[2, -2], &[3, -4], &[100, -100], &[-100, 100]]);
		let refs = super::super::as_refs(&five);
		// β = 0.2 → k = 1: drop min and max → mean(1,2,3) = 2; mean(−2,−1,−4) = −7/3 → −2.
		let out = TrimmedMean { beta_ppm: 200_000 }.aggregate(&refs).unwrap();
		assert_eq!(out.values, vec![2, -2]);
		// β = 0.1 → k = floor(0.5) = 0: plain unweighted mean, 6/5 → 1 and −6/5 → −1.
		let out = TrimmedMean { beta_ppm: 100_000 }.aggregate(&refs).unwrap();
		assert_eq!(out.values, vec![1, -1]);
		// β = 0.4 → k = 2: the median.
		let out = TrimmedMean { beta_ppm: 400_000 }.aggregate(&refs).unwrap();
		assert_eq!(out.values, Median.aggregate(&refs).unwrap().values);
	}

	#[test]
	fn trimmed_mean_parameter_errors() {
		let two = updates(&[&[1], &[2]]);
		let refs = super::super::as_refs(&two);
		assert_eq!(
			TrimmedMean { beta_ppm: 500_000 }.aggregate(&refs),
			Err(AggregateError::TrimFractionTooLarge { beta_ppm: 500_000 })
		);
		let four = updates(&[&[1], &[2], &[3], &[4]]);
		let refs = super::super::as_refs(&four);
		// β = 0.49 of 4 → k = 1, 2k + 1 = 3 ≤ 4: fine; of 2 → k = 0: fine.
		assert_eq!(TrimmedMean { beta_ppm: 490_000 }.aggregate(&refs).unwrap().values, vec![3]);
		assert_eq!(TrimmedMean { beta_ppm: 490_000 }.trimmed_per_side(2), 0);
	}
}
