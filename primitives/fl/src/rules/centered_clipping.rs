//! Centered clipping (Karimireddy, He and Jaggi, "Learning from History for Byzantine
//! Robust Optimization", ICML 2021).
//!
//! From a centre `v`, each iteration moves `v` by the mean of the updates' offsets from it,
//! each offset first clipped to the L2 ball of radius `τ`:
//!
//! `v ← v + (1/N) Σᵢ clip(xᵢ − v, τ)`, with `clip(d, τ) = d · min(1, τ / ‖d‖)`.
//!
//! An update, however far away, moves the centre by at most `τ / N` per iteration, so `f`
//! Byzantine updates move it by at most `f·τ / N`; honest updates within `τ` of the centre
//! are averaged unclipped. The paper starts from the previous global model (the momentum of
//! the honest workers). Here the start is the coordinate-wise [`Median`] of the updates,
//! which every evaluator computes from the subgroup alone, so the rule keeps the shape of
//! the others (a function of the updates only); [`CenteredClipping::around`] runs the same
//! iterations from any other centre, such as the model the round trained from.
//!
//! Integer arithmetic, bit-exact on every executor: `‖xᵢ − v‖²` is exact in `u128` (as
//! Krum's distances); an offset is clipped when `‖xᵢ − v‖² > τ²` (exact), and then each of
//! its coordinates `d` becomes `round_half_away_from_zero(d·τ / r)` with
//! `r = floor(√‖xᵢ − v‖²) ≥ τ`, so a clipped offset's norm exceeds `τ` by at most the
//! rounding (half a unit per coordinate plus the floor of the root). The mean over the `N`
//! clipped offsets rounds half away from zero. Each new centre lies between the old one
//! and the updates, so it fits `i32`. The mean is unweighted, as in the paper and as
//! [`Median`] (a participant's `num_samples` does not buy it a larger pull); the output
//! carries `Σ nᵢ`.
//!
//! Cost: the median's sort per coordinate, then per iteration two passes over the `N`
//! updates (the distances, then the clipped mean). Every iteration runs, even once the
//! centre stands still, so the cost is the same for every input of a size and the
//! benchmarks measure it; [`MAX_ITERATIONS`] bounds the off-chain worker's time.

use alloc::vec;
use alloc::vec::Vec;

use super::exec::Executor;
use super::{
	div_round_half_away, narrow, squared_distance, total_samples, uniform_shape, AggregateError,
	Aggregator, Median,
};
use crate::encoding::Update;

/// The most iterations a task may ask for: each costs two passes over the subgroup's
/// updates, in the runtime's off-chain worker too.
pub const MAX_ITERATIONS: u32 = 10;

/// Centered clipping from the coordinate-wise median (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CenteredClipping {
	/// Clipping radius `τ > 0`: an L2 norm in the fixed-point units of the values
	/// (2^16 = 1.0).
	pub tau: u32,
	/// Iterations, `1 ..= MAX_ITERATIONS`.
	pub iterations: u32,
}

impl CenteredClipping {
	/// Checks the parameters: `τ > 0` and `1 ≤ iterations ≤ MAX_ITERATIONS`.
	pub fn check(&self) -> Result<(), AggregateError> {
		if self.tau == 0 {
			return Err(AggregateError::ZeroClippingRadius);
		}
		if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
			return Err(AggregateError::InvalidIterations { iterations: self.iterations });
		}
		Ok(())
	}

	/// The iterations from `centre` (one value per coordinate of the uniform `updates`),
	/// on `executor`: the clipped centre's values.
	pub fn around<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
		centre: Vec<i32>,
	) -> Result<Vec<i32>, AggregateError> {
		self.check()?;
		let (_, len) = uniform_shape(updates)?;
		if centre.len() != len {
			return Err(AggregateError::CentreLengthMismatch {
				expected: len,
				found: centre.len(),
			});
		}
		let tau = u128::from(self.tau);
		let count = updates.len() as i128;
		let mut centre = centre;
		for _ in 0..self.iterations {
			// Per update: `None` when within τ (unclipped), else `r = floor(‖xᵢ − v‖) ≥ τ`.
			let radii: Vec<Option<i128>> = executor.map(updates, |update| {
				let squared = squared_distance(&update.values, &centre);
				(squared > tau * tau).then(|| squared.isqrt() as i128)
			});
			let mut next = vec![0i32; len];
			let (from, tau) = (&centre, i128::from(self.tau));
			executor.for_each_block(&mut next, updates.len(), |start, block| {
				for (offset, out) in block.iter_mut().enumerate() {
					let v = i128::from(from[start + offset]);
					// |offset| < 2^33, τ < 2^32: the products and the sum of N < 2^60
					// clipped offsets fit i128.
					let sum: i128 = updates
						.iter()
						.zip(&radii)
						.map(|(update, radius)| {
							let d = i128::from(update.values[start + offset]) - v;
							match radius {
								None => d,
								Some(r) => div_round_half_away(d * tau, *r),
							}
						})
						.sum();
					*out = narrow(v + div_round_half_away(sum, count));
				}
			});
			centre = next;
		}
		Ok(centre)
	}
}

impl Aggregator for CenteredClipping {
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError> {
		self.check()?;
		let (schema_hash, _) = uniform_shape(updates)?;
		let num_samples = total_samples(updates)?;
		let start = Median.aggregate_with(executor, updates)?.values;
		let values = self.around(executor, updates, start)?;
		Ok(Update { schema_hash, author: crate::NO_AUTHOR, num_samples, values })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::rules::exec::Sequential;
	use crate::rules::tests::update;
	use crate::rules::{as_refs, FedAvg};

	fn l2(a: &[i32], b: &[i32]) -> f64 {
		(squared_distance(a, b) as f64).sqrt()
	}

	#[test]
	fn one_iteration_by_hand() {
		// Centre 0; offsets (3, 4) (norm 5, within τ = 5) and (30, 40) (norm 50, clipped
		// to (3, 4)); (−6, −8) (norm 10, clipped to (−3, −4)). Mean (3, 4)/3 → (1, 1).
		let points = [update(1, vec![3, 4]), update(2, vec![30, 40]), update(3, vec![-6, -8])];
		let rule = CenteredClipping { tau: 5, iterations: 1 };
		let refs = as_refs(&points);
		assert_eq!(rule.around(&Sequential, &refs, vec![0, 0]).unwrap(), vec![1, 1]);
		// From the median (3, 4): offsets 0, (27, 36) → (3, 4), (−9, −12) → (−3, −4).
		let out = rule.aggregate(&refs).unwrap();
		assert_eq!(out.values, vec![3, 4]);
		assert_eq!(out.num_samples, 6);
	}

	#[test]
	fn close_updates_average_and_a_far_outlier_moves_the_centre_by_at_most_tau() {
		let honest: Vec<Vec<i32>> = (0..9).map(|i| vec![100 + 3 * i, -50 - 2 * i, i]).collect();
		let mut points: Vec<Update> = honest.iter().map(|v| update(1, v.clone())).collect();
		let refs = as_refs(&points);
		let mean = FedAvg.aggregate(&refs).unwrap().values;
		// Every honest update lies within τ of every centre on the way: the plain mean.
		let rule = CenteredClipping { tau: 1_000, iterations: MAX_ITERATIONS };
		assert_eq!(rule.aggregate(&refs).unwrap().values, mean);

		points.push(update(1, vec![i32::MAX, i32::MIN, i32::MAX]));
		let refs = as_refs(&points);
		let rule = CenteredClipping { tau: 20, iterations: MAX_ITERATIONS };
		let clipped = rule.aggregate(&refs).unwrap().values;
		assert!(l2(&clipped, &mean) <= 20.0, "{clipped:?} vs {mean:?}");
		assert!(l2(&FedAvg.aggregate(&refs).unwrap().values, &mean) > 1e8);
	}

	#[test]
	fn a_centre_among_equal_updates_stays_and_a_far_one_moves_by_tau() {
		let points: Vec<Update> = (0..3).map(|_| update(1, vec![7, -7])).collect();
		let rule = CenteredClipping { tau: 1, iterations: MAX_ITERATIONS };
		assert_eq!(rule.around(&Sequential, &as_refs(&points), vec![7, -7]).unwrap(), vec![7, -7]);
		// From far away it moves by τ per iteration.
		let moved = rule.around(&Sequential, &as_refs(&points), vec![1_007, -7]).unwrap();
		assert_eq!(moved, vec![1_007 - MAX_ITERATIONS as i32, -7]);
	}

	#[test]
	fn the_extremes_stay_in_range() {
		let points = [update(1, vec![i32::MIN, i32::MAX]), update(1, vec![i32::MAX, i32::MIN])];
		let rule = CenteredClipping { tau: u32::MAX, iterations: MAX_ITERATIONS };
		let out = rule.around(&Sequential, &as_refs(&points), vec![i32::MIN, i32::MIN]).unwrap();
		assert!(out[0] > i32::MIN && out[1] > i32::MIN);
		// The exact mean, −½, is no integer: from the median −1 the centre alternates
		// between 0 and −1 (half away from zero both ways), and the tenth iteration ends
		// at −1. The bound on iterations is what ends it.
		assert_eq!(rule.aggregate(&as_refs(&points)).unwrap().values, vec![-1, -1]);
	}

	#[test]
	fn parameter_errors_are_named() {
		let points = [update(1, vec![1]), update(1, vec![2])];
		let refs = as_refs(&points);
		assert_eq!(
			CenteredClipping { tau: 0, iterations: 1 }.aggregate(&refs),
			Err(AggregateError::ZeroClippingRadius)
		);
		for iterations in [0, MAX_ITERATIONS + 1] {
			assert_eq!(
				CenteredClipping { tau: 1, iterations }.aggregate(&refs),
				Err(AggregateError::InvalidIterations { iterations })
			);
		}
		assert_eq!(
			CenteredClipping { tau: 1, iterations: 1 }.around(&Sequential, &refs, vec![0, 0]),
			Err(AggregateError::CentreLengthMismatch { expected: 1, found: 2 })
		);
	}
}
