//! Krum and Multi-Krum (Blanchard et al., 2017).
//!
//! With `N` updates of which at most `f` are Byzantine, the score of update `i` is the
//! sum of the squared L2 distances from `i` to its `N − f − 2` nearest other updates.
//! Krum returns the update with the lowest score; Multi-Krum averages (sample-weighted,
//! as [`FedAvg`](super::FedAvg)) the `m` lowest. Both need `N ≥ 2f + 3`.
//!
//! Distances are exact: a coordinate difference of two `i32` is below 2^32, its square
//! below 2^64, and a sum over at most 2^32 coordinates below 2^96, so `u128` holds every
//! distance and (saturating, which never triggers for `N < 2^32`) every score.
//!
//! Determinism: the inputs are first put in a canonical order (lexicographic on
//! `values`, then `num_samples`) that does not depend on how they were passed in, and
//! equal scores are resolved by that order. Updates that compare equal are identical,
//! so whichever of them is picked, the output is the same.

use alloc::vec::Vec;
use core::cmp::Ordering;

use super::exec::Executor;
use super::fedavg::weighted_mean;
use super::{squared_distance, total_samples, uniform_shape, AggregateError, Aggregator};
use crate::encoding::Update;

/// Krum: the single update closest to its `N − f − 2` nearest neighbours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Krum {
	/// Byzantine updates tolerated.
	pub f: u32,
}

/// Multi-Krum: the sample-weighted mean of the `m` updates with the lowest Krum scores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MultiKrum {
	/// Byzantine updates tolerated.
	pub f: u32,
	/// Updates averaged, `1 ≤ m ≤ N`.
	pub m: u32,
}

impl Aggregator for Krum {
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError> {
		let best = select(executor, updates, self.f, 1)?;
		let chosen = best.first().ok_or(AggregateError::NoUpdates)?;
		Ok((*chosen).clone())
	}
}

impl Aggregator for MultiKrum {
	fn aggregate_with<E: Executor>(
		&self,
		executor: &E,
		updates: &[&Update],
	) -> Result<Update, AggregateError> {
		let selected = select(executor, updates, self.f, self.m)?;
		let (schema_hash, _) = uniform_shape(&selected)?;
		let num_samples = total_samples(&selected)?;
		let values = weighted_mean(executor, &selected, num_samples)?;
		Ok(Update { schema_hash, author: crate::NO_AUTHOR, num_samples, values })
	}
}

/// Krum scores of `updates`, each paired with its index, sorted best first with the
/// canonical tie-break; the pairwise distances are computed on `executor`.
pub fn krum_scores<E: Executor>(
	executor: &E,
	updates: &[&Update],
	f: u32,
) -> Result<Vec<(u128, usize)>, AggregateError> {
	uniform_shape(updates)?;
	let count = updates.len();
	let required = 2usize.saturating_mul(f as usize).saturating_add(3);
	if count < required {
		return Err(AggregateError::TooFewUpdates { required, found: count });
	}
	// Canonical order: rank[i] is update i's position in it.
	let mut canonical: Vec<usize> = (0..count).collect();
	canonical.sort_by(|a, b| canonical_cmp(updates[*a], updates[*b]));
	let mut rank = alloc::vec![0usize; count];
	for (position, index) in canonical.iter().enumerate() {
		rank[*index] = position;
	}

	let distances = pairwise_squared_distances(executor, updates);
	let neighbours = count - f as usize - 2;
	let mut scored: Vec<(u128, usize)> = (0..count)
		.map(|i| {
			let mut to_others: Vec<u128> =
				(0..count).filter(|j| *j != i).map(|j| distances[i * count + j]).collect();
			to_others.sort_unstable();
			let score = to_others[..neighbours].iter().fold(0u128, |sum, d| sum.saturating_add(*d));
			(score, i)
		})
		.collect();
	scored.sort_by(|(score_a, a), (score_b, b)| score_a.cmp(score_b).then(rank[*a].cmp(&rank[*b])));
	Ok(scored)
}

/// The `m` best updates by Krum score.
fn select<'a, E: Executor>(
	executor: &E,
	updates: &[&'a Update],
	f: u32,
	m: u32,
) -> Result<Vec<&'a Update>, AggregateError> {
	uniform_shape(updates)?;
	if m == 0 || m as usize > updates.len() {
		return Err(AggregateError::InvalidSelectionSize { m, updates: updates.len() });
	}
	Ok(krum_scores(executor, updates, f)?
		.into_iter()
		.take(m as usize)
		.map(|(_, index)| updates[index])
		.collect())
}

fn canonical_cmp(a: &Update, b: &Update) -> Ordering {
	a.values.cmp(&b.values).then(a.num_samples.cmp(&b.num_samples))
}

/// Symmetric `N × N` matrix (row-major) of exact squared L2 distances.
fn pairwise_squared_distances<E: Executor>(executor: &E, updates: &[&Update]) -> Vec<u128> {
	let count = updates.len();
	let pairs: Vec<(usize, usize)> =
		(0..count).flat_map(|i| (i + 1..count).map(move |j| (i, j))).collect();
	let distance =
		|(i, j): &(usize, usize)| squared_distance(&updates[*i].values, &updates[*j].values);
	let values = executor.map(&pairs, distance);
	let mut matrix = alloc::vec![0u128; count * count];
	for ((i, j), value) in pairs.into_iter().zip(values) {
		matrix[i * count + j] = value;
		matrix[j * count + i] = value;
	}
	matrix
}

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::vec;

	use crate::rules::exec::Sequential;
	use crate::rules::tests::update;

	#[test]
	fn krum_scores_by_hand() {
		// Points on a line: 0, 1, 3, 100, 101 with f = 1 → N − f − 2 = 2 neighbours.
		let points: Vec<Update> = [0, 1, 3, 100, 101].iter().map(|v| update(1, vec![*v])).collect();
		let refs = super::super::as_refs(&points);
		// 0: 1 + 9 = 10; 1: 1 + 4 = 5; 3: 4 + 9 = 13; 100: 1 + 97² = 9410; 101: 1 + 98² = 9605.
		let scores = krum_scores(&Sequential, &refs, 1).unwrap();
		assert_eq!(scores, vec![(5, 1), (10, 0), (13, 2), (9410, 3), (9605, 4)]);
		assert_eq!(Krum { f: 1 }.aggregate(&refs).unwrap().values, vec![1]);
		// Multi-Krum m = 3 averages 1, 0, 3 → 4/3 → 1.
		let multi = MultiKrum { f: 1, m: 3 }.aggregate(&refs).unwrap();
		assert_eq!(multi.values, vec![1]);
		assert_eq!(multi.num_samples, 3);
	}

	#[test]
	fn ties_resolve_by_canonical_order() {
		let points: Vec<Update> = [1, -1, 0].iter().map(|v| update(1, vec![*v])).collect();
		let refs = super::super::as_refs(&points);
		let scores = krum_scores(&Sequential, &refs, 0).unwrap();
		// One neighbour each: 0 → 1, ±1 → 1. All tie at 1: canonical order −1, 0, 1.
		assert_eq!(scores, vec![(1, 1), (1, 2), (1, 0)]);
		let reversed: Vec<&Update> = refs.iter().rev().copied().collect();
		assert_eq!(
			Krum { f: 0 }.aggregate(&reversed).unwrap(),
			Krum { f: 0 }.aggregate(&refs).unwrap()
		);
	}

	#[test]
	fn distances_are_exact_at_the_extremes() {
		let a = update(1, vec![i32::MIN; 3]);
		let b = update(1, vec![i32::MAX; 3]);
		let d = u128::from(u32::MAX);
		assert_eq!(squared_distance(&a.values, &b.values), 3 * d * d);
	}

	#[test]
	fn parameter_errors_are_named() {
		let points: Vec<Update> = (0..4).map(|v| update(1, vec![v])).collect();
		let refs = super::super::as_refs(&points);
		assert_eq!(
			Krum { f: 1 }.aggregate(&refs),
			Err(AggregateError::TooFewUpdates { required: 5, found: 4 })
		);
		assert_eq!(
			MultiKrum { f: 0, m: 0 }.aggregate(&refs),
			Err(AggregateError::InvalidSelectionSize { m: 0, updates: 4 })
		);
		assert_eq!(
			MultiKrum { f: 0, m: 5 }.aggregate(&refs),
			Err(AggregateError::InvalidSelectionSize { m: 5, updates: 4 })
		);
	}
}
