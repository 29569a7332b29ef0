//! Flower's strategy split for DIN: choosing who trains (`configure`) is kept apart from
//! combining what came back (`aggregate`).
//!
//! - [`Strategy::configure`]`(round, available)` returns the peers that train this round
//!   with their [`FitInstructions`]; a peer not listed sits the round out. On chain,
//!   selection is BABE-randomness sortition; this deterministic selection serves local
//!   simulations and tests, and is a pure function of the round and the *set* of peers.
//! - [`Strategy::aggregate`]`(round, results, failures)` receives failures separately
//!   and returns `Ok(None)` to keep the current global model (too few results, or
//!   failures while `accept_failures` is off), `Ok(Some(update))` for a new one, and a
//!   named error when a result does not match the task's schema (so the caller can mark
//!   that participant invalid and retry without it).

use alloc::vec::Vec;

use super::{AggregateError, Aggregator};
use crate::encoding::Update;
use crate::spec::Schema;
use crate::AggregationRule;

/// What a selected peer is asked to do in a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitInstructions {
	/// The round being trained.
	pub round: u32,
	/// Schema hash the returned update must carry.
	pub schema_hash: [u8; 32],
}

/// An update returned by a peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitResult<P> {
	pub peer: P,
	pub update: Update,
}

/// Why a selected peer produced no usable update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureReason {
	/// The update could not be fetched from the store.
	Unavailable,
	/// The bytes did not decode or did not match the schema.
	Malformed,
	/// The bytes do not match the commitment submitted on chain.
	CommitmentMismatch,
	/// Nothing was submitted before the phase ended.
	Timeout,
}

/// A selected peer without a usable update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure<P> {
	pub peer: P,
	pub reason: FailureReason,
}

/// Flower's round protocol: selection and aggregation.
pub trait Strategy<P> {
	/// Peers that train in `round`, with their instructions.
	fn configure(&self, round: u32, available: &[P]) -> Vec<(P, FitInstructions)>;

	/// The next global model, or `None` to keep the current one.
	fn aggregate(
		&self,
		round: u32,
		results: &[FitResult<P>],
		failures: &[Failure<P>],
	) -> Result<Option<Update>, AggregateError>;
}

/// How many peers [`AggregationStrategy::configure`] selects:
/// `max(min_peers, ceil(fraction_ppm · available / 10^6))`, capped at `available`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
	/// Fraction of the available peers, in parts per million.
	pub fraction_ppm: u32,
	/// Floor on the number selected.
	pub min_peers: u32,
}

impl Default for Selection {
	/// Everyone trains every round.
	fn default() -> Self {
		Self { fraction_ppm: super::PPM, min_peers: 1 }
	}
}

/// A task's [`AggregationRule`] wrapped in the strategy protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregationStrategy {
	/// The rule that combines results.
	pub rule: AggregationRule,
	/// Schema hash every result must carry.
	pub schema_hash: [u8; 32],
	/// Value count every result must have.
	pub value_count: usize,
	/// Who trains each round.
	pub selection: Selection,
	/// Fewer results than this keep the global model.
	pub min_results: usize,
	/// Whether a round with failures may still produce a new model.
	pub accept_failures: bool,
}

impl AggregationStrategy {
	/// A strategy for `schema` with everyone selected, one result required and failures
	/// accepted (failed peers are simply left out, as DIN's evaluators do).
	pub fn new(rule: AggregationRule, schema: &Schema) -> Self {
		Self {
			rule,
			schema_hash: schema.hash(),
			value_count: schema.value_count(),
			selection: Selection::default(),
			min_results: 1,
			accept_failures: true,
		}
	}
}

impl<P: Clone + Ord> Strategy<P> for AggregationStrategy {
	/// Sorts and deduplicates the peers, then takes the selected count cyclically
	/// starting at `round × count` so that successive rounds rotate through everyone.
	fn configure(&self, round: u32, available: &[P]) -> Vec<(P, FitInstructions)> {
		let mut peers = available.to_vec();
		peers.sort();
		peers.dedup();
		if peers.is_empty() {
			return Vec::new();
		}
		let total = peers.len() as u64;
		let by_fraction =
			(u64::from(self.selection.fraction_ppm) * total).div_ceil(u64::from(super::PPM));
		let count = by_fraction.max(u64::from(self.selection.min_peers)).min(total);
		let start = (u64::from(round) * count) % total;
		let instructions = FitInstructions { round, schema_hash: self.schema_hash };
		(0..count)
			.map(|offset| {
				let index = ((start + offset) % total) as usize;
				(peers[index].clone(), instructions.clone())
			})
			.collect()
	}

	fn aggregate(
		&self,
		_round: u32,
		results: &[FitResult<P>],
		failures: &[Failure<P>],
	) -> Result<Option<Update>, AggregateError> {
		if (!failures.is_empty() && !self.accept_failures) || results.len() < self.min_results {
			return Ok(None);
		}
		for (index, result) in results.iter().enumerate() {
			let update = &result.update;
			if update.schema_hash != self.schema_hash {
				return Err(AggregateError::SchemaHashMismatch { index });
			}
			if update.values.len() != self.value_count {
				return Err(AggregateError::ValueCountMismatch {
					index,
					expected: self.value_count,
					found: update.values.len(),
				});
			}
		}
		if results.is_empty() {
			return Ok(None);
		}
		let updates: Vec<&Update> = results.iter().map(|result| &result.update).collect();
		self.rule.aggregate(&updates).map(Some)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::spec::ModelSpec;
	use alloc::vec;

	fn strategy() -> AggregationStrategy {
		let schema = ModelSpec::SoftmaxRegression { inputs: 1, classes: 1 }.schema().unwrap();
		AggregationStrategy::new(AggregationRule::FedAvg, &schema)
	}

	fn result(strategy: &AggregationStrategy, peer: u32, values: Vec<i32>) -> FitResult<u32> {
		FitResult {
			peer,
			update: Update { schema_hash: strategy.schema_hash, num_samples: 1, values },
		}
	}

	#[test]
	fn configure_rotates_a_fraction_independent_of_order() {
		let mut strategy = strategy();
		strategy.selection = Selection { fraction_ppm: 300_000, min_peers: 2 };
		let peers: Vec<u32> = (0..10).rev().collect();
		// ceil(0.3 · 10) = 3 per round, rotating.
		let round0: Vec<u32> = strategy.configure(0, &peers).into_iter().map(|(p, _)| p).collect();
		let round1: Vec<u32> = strategy.configure(1, &peers).into_iter().map(|(p, _)| p).collect();
		assert_eq!(round0, vec![0, 1, 2]);
		assert_eq!(round1, vec![3, 4, 5]);
		let sorted: Vec<u32> = (0..10).collect();
		assert_eq!(
			Strategy::<u32>::configure(&strategy, 1, &sorted),
			strategy.configure(1, &peers)
		);
		strategy.selection = Selection { fraction_ppm: 0, min_peers: 2 };
		assert_eq!(strategy.configure(0, &peers).len(), 2);
		assert!(strategy.configure(0, &Vec::<u32>::new()).is_empty());
	}

	#[test]
	fn aggregate_keeps_the_model_when_told_to() {
		let mut strategy = strategy();
		let results = vec![result(&strategy, 1, vec![2, 4]), result(&strategy, 2, vec![4, 8])];
		let failures = vec![Failure { peer: 3u32, reason: FailureReason::Timeout }];
		let next = strategy.aggregate(1, &results, &failures).unwrap();
		assert_eq!(next.map(|u| u.values), Some(vec![3, 6]));
		strategy.accept_failures = false;
		assert_eq!(strategy.aggregate(1, &results, &failures), Ok(None));
		strategy.min_results = 3;
		assert_eq!(strategy.aggregate(1, &results, &[]), Ok(None));
		strategy.min_results = 0;
		assert_eq!(Strategy::<u32>::aggregate(&strategy, 1, &[], &[]), Ok(None));
	}

	#[test]
	fn aggregate_names_results_of_the_wrong_schema() {
		let strategy = strategy();
		let mut results = vec![result(&strategy, 1, vec![2, 4]), result(&strategy, 2, vec![4])];
		assert_eq!(
			strategy.aggregate(1, &results, &[]),
			Err(AggregateError::ValueCountMismatch { index: 1, expected: 2, found: 1 })
		);
		results[1].update.values.push(0);
		results[0].update.schema_hash = [9; 32];
		assert_eq!(
			strategy.aggregate(1, &results, &[]),
			Err(AggregateError::SchemaHashMismatch { index: 0 })
		);
	}
}
