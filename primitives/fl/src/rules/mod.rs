//! Aggregation rules over canonical updates.
//!
//! Every rule is pure integer arithmetic on the `i32` fixed-point values of
//! [`Update`]s, so its output is a function of the *multiset* of inputs only: it does not
//! depend on their order, on the CPU, or on how many threads ran it. That is what lets
//! the evaluators of a subgroup commit-reveal and compare aggregates byte for byte.
//!
//! | rule | output value per coordinate | output `num_samples` |
//! |---|---|---|
//! | [`FedAvg`] | `round_half_away_from_zero(Σ nᵢ·vᵢ / Σ nᵢ)` | `Σ nᵢ` |
//! | [`Median`] | middle value; even count: `floor((a + b) / 2)` of the two middle values | `Σ nᵢ` |
//! | [`TrimmedMean`] | drop the `k = floor(β·N)` lowest and highest, `round_half_away_from_zero(mean)` of the rest | `Σ nᵢ` |
//! | [`Krum`] | the values of the update with the lowest Krum score | that update's `n` |
//! | [`MultiKrum`] | FedAvg of the `m` updates with the lowest Krum scores | their `Σ n` |
//! | [`CenteredClipping`] | from the [`Median`], `iterations` times `v ← v + mean(clip(xᵢ − v, τ))` | `Σ nᵢ` |
//!
//! Median and trimmed mean are unweighted per coordinate (as in Yin et al. 2018 and
//! Flower's `FedMedian` / `FedTrimmedAvg`), centered clipping per update (as in
//! Karimireddy et al. 2021); FedAvg and Multi-Krum weight by
//! `num_samples` (as Flower's `aggregate`). Rounding: every mean rounds the exact
//! rational result half away from zero; since a mean lies between the smallest and the
//! largest input, the result always fits `i32`. Sums use 64-bit integers when they provably cannot
//! overflow and `i128` otherwise; both give the same integers.
//!
//! Krum's score of update `i` is the sum of the squared L2 distances (exact, `u128`) to
//! its `N − f − 2` nearest other updates; it needs `N ≥ 2f + 3`. Ties in score are broken
//! by a canonical order of the inputs — lexicographic on `values`, then `num_samples` —
//! which is itself independent of input order, so even exact ties are order-independent.
//!
//! [`Aggregator`] is the one trait the rules implement; [`AggregationRule`] is the
//! task-level enum (as the chain stores it) that dispatches to them; [`crate::duty`] runs
//! the task's rule over a subgroup's checked updates, in the shape of Flower's
//! `aggregate(results, failures)`. A rule runs its coordinate blocks
//! (and Krum its distances) through an [`Executor`] ([`exec`]): [`Aggregator::aggregate`]
//! on the calling thread, [`Aggregator::aggregate_with`] on any other executor, with the
//! same result.

use alloc::vec::Vec;
use core::fmt;

use crate::encoding::Update;
use crate::AggregationRule;
use exec::{Executor, Sequential};

mod centered_clipping;
pub mod exec;
mod fedavg;
mod krum;
mod order_statistics;

pub use centered_clipping::{CenteredClipping, MAX_ITERATIONS as MAX_CLIPPING_ITERATIONS};
pub use fedavg::{mean_of_weighted_sum, FedAvg};
pub use krum::{Krum, MultiKrum};
pub use order_statistics::{Median, TrimmedMean, PPM};

/// Why a set of updates cannot be aggregated by a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AggregateError {
	/// No updates were given.
	NoUpdates,
	/// Update `index` carries a different schema hash (from the task's schema, or from
	/// the first update when a rule is called directly).
	SchemaHashMismatch { index: usize },
	/// Update `index` has a different number of values.
	ValueCountMismatch { index: usize, expected: usize, found: usize },
	/// A sample-weighted rule found `Σ num_samples = 0`.
	NoSamples,
	/// `Σ num_samples` exceeds `u64`.
	SampleCountOverflow,
	/// A trimmed mean must trim less than half on each side: `beta_ppm < 500_000`.
	TrimFractionTooLarge { beta_ppm: u32 },
	/// The rule needs more updates (Krum and Multi-Krum: `2f + 3`).
	TooFewUpdates { required: usize, found: usize },
	/// Multi-Krum must select between 1 and `N` updates.
	InvalidSelectionSize { m: u32, updates: usize },
	/// Centered clipping needs a clipping radius `τ > 0`.
	ZeroClippingRadius,
	/// Centered clipping runs `1 ..= MAX_CLIPPING_ITERATIONS` iterations.
	InvalidIterations { iterations: u32 },
	/// Centered clipping was given a centre of another length than the updates'.
	CentreLengthMismatch { expected: usize, found: usize },
}

impl fmt::Display for AggregateError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::NoUpdates => write!(f, "no updates to aggregate"),
			Self::SchemaHashMismatch { index } => {
				write!(f, "update {index} was made for a different schema")
			},
			Self::ValueCountMismatch { index, expected, found } => {
				write!(f, "update {index} has {found} values, expected {expected}")
			},
			Self::NoSamples => write!(f, "updates carry zero samples in total"),
			Self::SampleCountOverflow => write!(f, "total sample count exceeds u64"),
			Self::TrimFractionTooLarge { beta_ppm } => {
				write!(f, "trim fraction {beta_ppm} ppm must be below 500000 ppm")
			},
			Self::TooFewUpdates { required, found } => {
				write!(f, "rule needs at least {required} updates, got {found}")
			},
			Self::InvalidSelectionSize { m, updates } => {
				write!(f, "cannot select {m} of {updates} updates")
			},
			Self::ZeroClippingRadius => write!(f, "the clipping radius must be above zero"),
			Self::InvalidIterations { iterations } => write!(
				f,
				"{iterations} clipping iterations, expected 1 to {MAX_CLIPPING_ITERATIONS}"
			),
			Self::CentreLengthMismatch { expected, found } => {
				write!(f, "the centre has {found} values, expected {expected}")
			},
		}
	}
}

impl core::error::Error for AggregateError {}

/// One aggregation rule: combines updates of one schema into one update.
pub trait Aggregator {
	/// Aggregates `updates`, which must be non-empty and share the first update's schema
	/// hash and value count (else a named error), running the rule's independent pieces of
	/// work on `executor`. The result carries that schema hash, and it is the same for
	/// every executor.
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError>;

	/// [`aggregate_with`](Self::aggregate_with) on the calling thread ([`Sequential`]).
	fn aggregate(&self, updates: &[&Update]) -> Result<Update, AggregateError> {
		self.aggregate_with(&Sequential, updates)
	}
}

impl Aggregator for AggregationRule {
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError> {
		match *self {
			Self::FedAvg | Self::SecureFedAvg => FedAvg.aggregate_with(executor, updates),
			Self::TrimmedMean { beta } => {
				// Perbill parts (10^9) to parts per million, truncating.
				TrimmedMean { beta_ppm: beta.deconstruct() / 1_000 }
					.aggregate_with(executor, updates)
			},
			Self::Median => Median.aggregate_with(executor, updates),
			Self::Krum { f } => Krum { f }.aggregate_with(executor, updates),
			Self::MultiKrum { f, m } => MultiKrum { f, m }.aggregate_with(executor, updates),
			Self::CenteredClipping { tau, iterations } => {
				CenteredClipping { tau, iterations }.aggregate_with(executor, updates)
			},
		}
	}
}

/// Checks that `updates` is non-empty and uniform; returns the shared schema hash and
/// value count.
pub(crate) fn uniform_shape(updates: &[&Update]) -> Result<([u8; 32], usize), AggregateError> {
	let first = updates.first().ok_or(AggregateError::NoUpdates)?;
	let expected = first.values.len();
	for (index, update) in updates.iter().enumerate() {
		if update.schema_hash != first.schema_hash {
			return Err(AggregateError::SchemaHashMismatch { index });
		}
		if update.values.len() != expected {
			return Err(AggregateError::ValueCountMismatch {
				index,
				expected,
				found: update.values.len(),
			});
		}
	}
	Ok((first.schema_hash, expected))
}

/// `Σ num_samples`, checked.
pub(crate) fn total_samples(updates: &[&Update]) -> Result<u64, AggregateError> {
	updates.iter().try_fold(0u64, |sum, update| {
		sum.checked_add(update.num_samples).ok_or(AggregateError::SampleCountOverflow)
	})
}

/// Exact `Σ (aₖ − bₖ)²` (Krum's distances, centered clipping's norms).
pub(crate) fn squared_distance(a: &[i32], b: &[i32]) -> u128 {
	// Each square is below 2^64; summing up to 2^32 of them in u128 cannot overflow.
	a.iter()
		.zip(b)
		.map(|(x, y)| {
			let difference = (i64::from(*x) - i64::from(*y)).unsigned_abs();
			u128::from(difference * difference)
		})
		.sum()
}

/// `numerator / denominator` rounded half away from zero (`denominator > 0`).
pub(crate) fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
	let quotient = numerator / denominator;
	let remainder = numerator % denominator;
	// |remainder| < denominator, so doubling cannot overflow for denominators < 2^126.
	if 2 * remainder.abs() >= denominator {
		quotient + numerator.signum()
	} else {
		quotient
	}
}

/// Narrows a mean of `i32` values back to `i32`: a mean (or a median) lies between the
/// extreme inputs, so this never saturates; saturating keeps it panic-free regardless.
pub(crate) fn narrow(value: i128) -> i32 {
	value.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32
}

/// Collects `&Update`s from owned ones (convenience for callers holding a `Vec<Update>`).
pub fn as_refs(updates: &[Update]) -> Vec<&Update> {
	updates.iter().collect()
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use alloc::vec;

	/// An update of the all-zero schema hash, for the rules' unit tests.
	pub(crate) fn update(num_samples: u64, values: Vec<i32>) -> Update {
		Update { schema_hash: [0; 32], author: crate::NO_AUTHOR, num_samples, values }
	}

	#[test]
	fn rounding_is_half_away_from_zero() {
		assert_eq!(div_round_half_away(5, 2), 3);
		assert_eq!(div_round_half_away(-5, 2), -3);
		assert_eq!(div_round_half_away(7, 3), 2);
		assert_eq!(div_round_half_away(-7, 3), -2);
		assert_eq!(div_round_half_away(8, 3), 3);
		assert_eq!(div_round_half_away(-8, 3), -3);
		assert_eq!(div_round_half_away(0, 3), 0);
	}

	#[test]
	fn the_task_rule_trims_by_whole_parts_per_million() {
		use crate::Perbill;
		let three: Vec<Update> = [0, 3, 30].iter().map(|v| update(1, vec![*v])).collect();
		let refs = as_refs(&three);
		// β just over 1/3 of 3 updates is k = 1 in parts per billion, but the rule counts
		// whole parts per million (333_333 · 3 < 10^6): k = 0, the plain mean 11.
		let rule = AggregationRule::TrimmedMean { beta: Perbill::from_parts(333_333_334) };
		assert_eq!(rule.aggregate(&refs).unwrap().values, vec![11]);
		assert_eq!(
			rule.aggregate(&refs),
			TrimmedMean { beta_ppm: 333_333 }.aggregate_with(&Sequential, &refs)
		);
		let rule = AggregationRule::TrimmedMean { beta: Perbill::from_percent(40) };
		assert_eq!(rule.aggregate(&refs).unwrap().values, vec![3]);
	}

	#[test]
	fn mismatched_inputs_are_named() {
		let a = Update {
			schema_hash: [1; 32],
			author: crate::NO_AUTHOR,
			num_samples: 1,
			values: vec![1, 2],
		};
		let b = Update {
			schema_hash: [2; 32],
			author: crate::NO_AUTHOR,
			num_samples: 1,
			values: vec![1, 2],
		};
		let c = Update {
			schema_hash: [1; 32],
			author: crate::NO_AUTHOR,
			num_samples: 1,
			values: vec![1],
		};
		assert_eq!(AggregationRule::FedAvg.aggregate(&[]), Err(AggregateError::NoUpdates));
		assert_eq!(
			AggregationRule::Median.aggregate(&[&a, &b]),
			Err(AggregateError::SchemaHashMismatch { index: 1 })
		);
		assert_eq!(
			AggregationRule::Krum { f: 0 }.aggregate(&[&a, &a, &c]),
			Err(AggregateError::ValueCountMismatch { index: 2, expected: 2, found: 1 })
		);
	}
}
